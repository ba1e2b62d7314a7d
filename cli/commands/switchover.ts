import { parseArgs } from 'node:util';
import { failover as runFailover, PrimaryChangeError, switchover as runSwitchover, type PrimaryChange } from '../../common/cluster/changePrimary';
import { readTopology, stateNodeIdsOf, topologyKey } from '../../common/cluster/declaredTopology';
import { type ClusterConfig, nodeIdsOf } from '../../common/config/clusterConfig';
import type { ConsulApi } from '../../common/consul/ConsulApi';
import { CliError } from '../CliError';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { grpcFailure } from '../grpcFailure';
import { intOption } from '../intOption';

const QUORUM_HELP = `The replicas counted are the cluster's declared state nodes, from the topology its control
plane publishes to Consul (shoal/<cluster>/topology), with its sync.minAcks; a declared replica
Consul no longer lists counts as one that did not answer. With no topology published, --config
FILE gives them instead; with neither, only the state nodes Consul lists now are counted.`;

export const SWITCHOVER_HELP = `Usage: shoal switchover --to NODE [--timeout MS] [--config FILE] [--cluster NAME] [--consul HOST:PORT]

A planned, lossless role swap (like patronictl switchover): the primary stops taking writes,
NODE catches up to its last position, a quorum of the replicas takes the next term (all but
sync.minAcks - 1 of them; one with minAcks 0), Consul's leader record moves to NODE with that
term, NODE is promoted, and every other node (the old primary included) follows it. Writes are
refused for the moment it takes (clients retry them). Refused, changing nothing, when too few
replicas answer; aborted, lifting the old primary's fence at once, when too few take the term.

${QUORUM_HELP}

Options:
  --to NODE       the replica to promote (required)
  --timeout MS    give up if it takes longer; nothing changes then (default: 15000)
${CLUSTER_OPTIONS_HELP}
  -h, --help      show this help`;

export const FAILOVER_HELP = `Usage: shoal failover [--to NODE] [--timeout MS] [--force] [--config FILE] [--cluster NAME] [--consul HOST:PORT]

An unplanned change of primary, for a primary that is gone or hung: every reachable replica
adopts the next term (so the old primary can no longer get a write acknowledged), the most
advanced replica is promoted and the others follow it. The old primary, if it comes back,
rejoins as a replica and hands over its unacknowledged writes for reconciliation. Refused,
naming the replicas it could not reach, unless all but sync.minAcks - 1 of the replicas answer
(one is enough with minAcks 0, the lossy mode).

${QUORUM_HELP}

Options:
  --to NODE       promote this replica; refused if another replica is more advanced
  --timeout MS    give up after this long (default: 15000)
  --force         promote even if too few replicas answered: acknowledged writes that only the
                  unreached replicas hold are lost, and the old primary may still get writes
                  acknowledged by them until they read the new leader record
${CLUSTER_OPTIONS_HELP}
  -h, --help      show this help`;

export function switchover(argv: string[]): Promise<number> {
  return changePrimary(argv, 'switchover');
}

export function failover(argv: string[]): Promise<number> {
  return changePrimary(argv, 'failover');
}

async function changePrimary(argv: string[], kind: 'switchover' | 'failover'): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...CLUSTER_OPTIONS, to: { type: 'string' }, timeout: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (console.log(kind === 'switchover' ? SWITCHOVER_HELP : FAILOVER_HELP), 0);
  if (kind === 'switchover' && !values.to) throw new CliError('switchover needs --to NODE (see `shoal switchover --help`)');
  if (kind === 'switchover' && values.force)
    throw new CliError('switchover takes no --force: a planned change never goes ahead without its quorum (see `shoal failover --help`)');
  const timeoutMs = intOption('--timeout', values.timeout);
  const { consul, cluster, config, transport, configPath } = await connectCluster(values);
  const declared = await declaredStateNodes(consul, cluster, configPath === undefined ? undefined : config);
  console.log(`  ${declared.source}`);
  const ctx = {
    consul,
    cluster,
    credentials: transport.channel(),
    timeoutMs,
    minAcks: declared.minAcks,
    ...(declared.stateNodeIds && { stateNodeIds: declared.stateNodeIds }),
    force: values.force,
    progress: (line: string) => console.log(`  ${line}`),
  };
  let change: PrimaryChange;
  try {
    change = kind === 'switchover' ? await runSwitchover(ctx, values.to!) : await runFailover(ctx, values.to);
  } catch (err) {
    if (err instanceof PrimaryChangeError) throw new CliError(`${kind} refused: ${err.message}`);
    throw grpcFailure(err, kind);
  }
  for (const warning of change.warnings ?? []) console.error(`shoal: warning: forced ${kind}: ${warning}`);
  console.log(`${kind === 'switchover' ? 'Switched over' : 'Failed over'}: ${change.to} is the primary (term ${change.term}), replacing ${change.from}.`);
  return 0;
}

/**
 * The state nodes and minAcks a role change counts its quorum against: the topology the
 * control plane published in Consul; else the config given with --config; else none (only what
 * Consul lists, minAcks 1), with a line saying which.
 */
async function declaredStateNodes(
  consul: ConsulApi,
  cluster: string,
  explicitConfig: ClusterConfig | undefined,
): Promise<{ stateNodeIds?: string[]; minAcks: number; source: string }> {
  const topology = await readTopology(consul, cluster).catch((err: Error) => {
    throw new CliError(err.message);
  });
  if (topology) {
    const ids = stateNodeIdsOf(topology);
    const when = topology.writtenAtMs ? ` at ${new Date(topology.writtenAtMs).toISOString()}` : '';
    return {
      stateNodeIds: ids,
      minAcks: topology.minAcks,
      source: `declared state nodes ${ids.join(', ')} (minAcks ${topology.minAcks}), published by ${topology.writtenBy || 'the control plane'}${when}`,
    };
  }
  const none = `no declared topology in Consul (${topologyKey(cluster)}; the control plane publishes it)`;
  if (explicitConfig) {
    const ids = explicitConfig.nodes.filter((t) => t.type !== 'worker').flatMap(nodeIdsOf);
    return {
      stateNodeIds: ids,
      minAcks: explicitConfig.sync.minAcks,
      source: `${none}: counting the state nodes --config declares, ${ids.join(', ')} (minAcks ${explicitConfig.sync.minAcks})`,
    };
  }
  return {
    minAcks: 1,
    source: `${none} and no --config: counting only the state nodes Consul lists now, with minAcks 1; a replica Consul dropped is not counted (give --config FILE to count the declared ones)`,
  };
}
