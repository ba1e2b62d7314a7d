import { parseArgs } from 'node:util';
import { MemberHealth } from '../../gen/shoal/v1/node';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { clusterStatus, controlPlaneStatus, formatControlPlane, formatStatusTable } from '../local/clusterStatus';
import { defaultRunDir, RunDir } from '../../common/local/RunDir';
import { formatUrls } from '../local/urls';

export const STATUS_HELP = `Usage: shoal status [--config FILE] [--cluster NAME] [--consul HOST:PORT] [--run-dir DIR] [--json]

Prints the cluster's nodes as Consul sees them, each asked for its own view: id, role, gRPC
and HTTP address, health, term, log position, replication lag (entries a replica is behind the
primary), uptime, and from the control-plane leader whether it manages the node's process
(no: started by hand) and how often it restarted it; then the control-plane leader and
standbys, and where to look next (Consul UI, grpcurl, metrics, logs).

Options:
${CLUSTER_OPTIONS_HELP}
  --run-dir DIR   run directory of \`shoal up\` (default: .run in the checkout, or SHOAL_RUN_DIR)
  --json          print the nodes and control-plane instances as JSON instead of a table
  -h, --help      show this help

Exit status: 0 when every node is passing, 1 when one is not or Consul cannot be reached.`;

export async function status(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...CLUSTER_OPTIONS, 'run-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (console.log(STATUS_HELP), 0);
  const { consul, cluster, config, transport, configPath } = await connectCluster(values);
  const [rows, controlPlane] = await Promise.all([clusterStatus(consul, cluster, transport.channel()), controlPlaneStatus(consul, cluster)]);
  if (values.json) {
    console.log(JSON.stringify({ nodes: rows, controlPlane }, null, 2));
  } else if (rows.length === 0) {
    console.log(`No nodes of cluster "${cluster}" are registered in Consul at ${consul.currentAddress}.`);
    console.log(formatControlPlane(controlPlane));
  } else {
    console.log(formatStatusTable(rows));
    console.log(formatControlPlane(controlPlane));
    console.log('');
    console.log(formatUrls(config.consul.address, cluster, new RunDir(values['run-dir'] ?? defaultRunDir()).read(), rows, transport, configPath));
  }
  return rows.length > 0 && rows.every((r) => r.member.health === MemberHealth.MEMBER_HEALTH_PASSING) ? 0 : 1;
}
