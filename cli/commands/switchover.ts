import { parseArgs } from 'node:util';
import { failover as runFailover, PrimaryChangeError, switchover as runSwitchover, type PrimaryChange } from '../../common/cluster/changePrimary';
import { CliError } from '../CliError';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { grpcFailure } from '../grpcFailure';
import { intOption } from '../intOption';

export const SWITCHOVER_HELP = `Usage: shoal switchover --to NODE [--timeout MS] [--config FILE] [--cluster NAME] [--consul HOST:PORT]

A planned, lossless role swap (like patronictl switchover): the primary stops taking writes,
NODE catches up to its last position, Consul's leader record moves to NODE with the next term,
NODE is promoted, and every other node (the old primary included) follows it. Writes are
refused for the moment it takes (clients retry them).

Options:
  --to NODE       the replica to promote (required)
  --timeout MS    give up if it takes longer; nothing changes then (default: 15000)
${CLUSTER_OPTIONS_HELP}
  -h, --help      show this help`;

export const FAILOVER_HELP = `Usage: shoal failover [--to NODE] [--timeout MS] [--config FILE] [--cluster NAME] [--consul HOST:PORT]

An unplanned change of primary, for a primary that is gone or hung: every reachable replica
adopts the next term (so the old primary can no longer get a write acknowledged), the most
advanced replica is promoted and the others follow it. The old primary, if it comes back,
rejoins as a replica and hands over its unacknowledged writes for reconciliation.

Options:
  --to NODE       promote this replica; refused if another replica is more advanced
  --timeout MS    give up after this long (default: 15000)
  --force         promote even if too few replicas answered to be sure that no acknowledged
                  write is lost (with sync.minAcks from --config, all replicas but minAcks-1
                  must answer)
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
  const timeoutMs = intOption('--timeout', values.timeout);
  const { consul, cluster, config } = await connectCluster(values);
  const ctx = { consul, cluster, timeoutMs, minAcks: config.sync.minAcks, force: values.force, progress: (line: string) => console.log(`  ${line}`) };
  let change: PrimaryChange;
  try {
    change = kind === 'switchover' ? await runSwitchover(ctx, values.to!) : await runFailover(ctx, values.to);
  } catch (err) {
    if (err instanceof PrimaryChangeError) throw new CliError(`${kind} refused: ${err.message}`);
    throw grpcFailure(err, kind);
  }
  console.log(`${kind === 'switchover' ? 'Switched over' : 'Failed over'}: ${change.to} is the primary (term ${change.term}), replacing ${change.from}.`);
  return 0;
}
