import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { isValidNodeId, parseClusterConfig } from '../../common/config/clusterConfig';
import { readConfigJson } from '../../common/config/loadClusterConfig';
import { aclPolicyRules } from '../../common/consul/aclPolicy';
import { CliError } from '../CliError';

export const CONSUL_POLICY_HELP = `Usage: shoal consul-policy [--cluster NAME] [--config FILE] [--json]

Prints the smallest Consul ACL policy a cluster's nodes, control planes, dashboard and CLI
work with (Consul's HCL rules), for a Consul that runs with ACLs on. Give its token to every
process as consul.token, consul.tokenFile or CONSUL_HTTP_TOKEN. For example:

  shoal consul-policy > shoal-local.hcl
  consul acl policy create -name shoal-local -rules @shoal-local.hcl
  consul acl token create -description "shoal local" -policy-name shoal-local

Options:
  --cluster NAME  cluster name (default: the config's, else local)
  --config FILE   cluster config, for its name (default: SHOAL_CONFIG, else built-in)
  --json          {"name": "shoal-<cluster>", "rules": "<HCL>"}, the body of Consul's
                  PUT /v1/acl/policy
  -h, --help      show this help`;

export function consulPolicy(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { cluster: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return Promise.resolve((console.log(CONSUL_POLICY_HELP), 0));
  const configPath = values.config ?? (process.env.SHOAL_CONFIG || undefined);
  // The name alone: the token file the policy is made for may not exist yet.
  const cluster = values.cluster ?? (configPath ? parseClusterConfig(readConfigJson(resolve(configPath))).name : parseClusterConfig({}).name);
  if (!isValidNodeId(cluster)) throw new CliError(`--cluster "${cluster}" must be lowercase letters, digits and dashes`);
  const rules = aclPolicyRules(cluster);
  console.log(values.json ? JSON.stringify({ name: `shoal-${cluster}`, rules }) : rules);
  return Promise.resolve(0);
}
