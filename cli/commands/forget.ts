import { Metadata } from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import type { ForgetResponse } from '../../gen/shoal/v1/scale';
import { connectToLeader } from '../../common/cluster/followControlPlaneLeader';
import { CliError } from '../CliError';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { grpcFailure } from '../grpcFailure';

export const FORGET_HELP = `Usage: shoal forget NODE [--token T] [--json] [--config FILE] [--cluster NAME]

Tells the control plane that NODE's host is gone for good (as \`kubectl delete node\` does):
the placement's record of NODE is dropped, so the control plane starts NODE on another host.
If the old host ever answers again, the process it still runs there is killed and forgotten.
Only for a node whose host the control plane cannot reach now (refused otherwise: stop it with
\`shoal kill\`, or let the control plane restart it). A replica on an unreachable host is left
alone until its host answers or you run this; a worker is replaced on its own, the primary
failed over.

Options:
  --token T       the control plane's bearer token (default: SHOAL_CONTROL_PLANE_TOKEN, then
                  the config's controlPlane.token)
  --json          print the response as JSON
${CLUSTER_OPTIONS_HELP}
  -h, --help      show this help`;

/** How long the control plane may take to answer, ms. */
const DEADLINE_MS = 15_000;

export async function forget(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...CLUSTER_OPTIONS, token: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (console.log(FORGET_HELP), 0);
  const [nodeId, ...extra] = positionals;
  if (!nodeId || extra.length) throw new CliError('forget needs exactly one NODE (see `shoal forget --help`)');
  const { consul, cluster, config, transport } = await connectCluster(values);
  const connected = await connectToLeader(consul, cluster, transport.channel());
  if (!connected) throw new CliError(`no control-plane leader of cluster ${cluster} is registered in Consul; is the cluster up?`);
  const { client, leader } = connected;
  const token = values.token ?? config.controlPlane.token;
  const metadata = new Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  try {
    const answer = await new Promise<ForgetResponse>((resolve, reject) =>
      client.forget({ nodeId }, metadata, { deadline: Date.now() + DEADLINE_MS }, (err, res) => (err ? reject(err) : resolve(res))),
    );
    if (values.json) console.log(JSON.stringify({ node: nodeId, controlPlane: leader.id, ...answer }));
    else for (const step of answer.steps) console.log(step);
    return 0;
  } catch (err) {
    throw grpcFailure(err, `forget ${nodeId} (control plane ${leader.id} at ${leader.grpcAddress})`);
  } finally {
    client.close();
  }
}
