import { parseArgs } from 'node:util';
import { MemberHealth } from '../../gen/shoal/v1/node';
import { ConsulApi } from '../../common/consul/ConsulApi';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';
import { clusterStatus, formatStatusTable } from '../local/clusterStatus';
import { defaultRunDir, RunDir } from '../local/RunDir';
import { formatUrls } from '../local/urls';
import { CliError } from '../CliError';

export const STATUS_HELP = `Usage: shoal status [--config FILE] [--cluster NAME] [--run-dir DIR] [--json]

Prints the cluster's nodes as Consul sees them, each asked for its own view: id, role, gRPC
and HTTP address, health, term, log position, replication lag (entries a replica is behind the
primary) and uptime; then where to look next (Consul UI, grpcurl, metrics, logs).

Options:
  --config FILE   cluster config (default: built-in; the cluster name comes from it)
  --cluster NAME  cluster name, overrides the config's (default: local)
  --run-dir DIR   run directory of \`shoal up\` (default: .run in the checkout, or SHOAL_RUN_DIR)
  --json          print the members as JSON instead of a table
  -h, --help      show this help

Exit status: 0 when every node is passing, 1 when one is not or Consul cannot be reached.`;

export async function status(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, cluster: { type: 'string' }, 'run-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return console.log(STATUS_HELP), 0;
  const config = loadClusterConfig(values.config);
  const cluster = values.cluster ?? config.name;
  const consul = new ConsulApi(config.consul.address);
  if (!(await consul.isReachable())) {
    throw new CliError(`cannot reach Consul at ${config.consul.address}; is the cluster up? (make up)`);
  }
  const rows = await clusterStatus(consul, cluster);
  if (values.json) {
    console.log(JSON.stringify(rows, null, 2));
  } else if (rows.length === 0) {
    console.log(`No nodes of cluster "${cluster}" are registered in Consul at ${config.consul.address}.`);
  } else {
    console.log(formatStatusTable(rows));
    console.log('');
    console.log(formatUrls(config.consul.address, cluster, new RunDir(values['run-dir'] ?? defaultRunDir()).read()));
  }
  return rows.length > 0 && rows.every((r) => r.member.health === MemberHealth.MEMBER_HEALTH_PASSING) ? 0 : 1;
}
