import { parseArgs } from 'node:util';
import { type ClusterEvent, type WatchEventsResponse } from '../../gen/shoal/v1/scale';
import { clusterEventKindToJSON } from '../../gen/shoal/v1/scale';
import { Backoff } from '../../common/net/Backoff';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { leaderClient } from '../controlPlaneClient';
import { readControlPlaneLeader } from '../../common/cluster/controlPlaneLeader';
import { intOption } from '../intOption';

export const EVENTS_HELP = `Usage: shoal events [--history N] [--no-follow] [--json] [--config FILE] [--cluster NAME]

Prints the control plane's decisions (restarted, failed over, promoted, removed, leader
changed, …) and observations (node suspected, down, recovered, Consul blind, …), newest last:
first the last N decisions from the decision log in Consul, then live ones from the
control-plane leader (Scale.WatchEvents). When the leader changes, it follows the new one.

Options:
${CLUSTER_OPTIONS_HELP}
  --history N     past decisions to print first (default: 20)
  --no-follow     print the history and exit
  --json          one JSON object per line
  -h, --help      show this help`;

export async function events(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...CLUSTER_OPTIONS, history: { type: 'string' }, 'no-follow': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return console.log(EVENTS_HELP), 0;
  const history = intOption('--history', values.history, 20, { min: 1, max: 1000 });
  const { consul, cluster } = await connectCluster(values);
  const printed = new Set<string>();
  const print = (e: ClusterEvent) => {
    const key = `${e.controlPlaneId}/${e.sequence}/${e.atUnixMs}`;
    if (printed.has(key)) return;
    printed.add(key);
    console.log(values.json ? JSON.stringify(e) : formatEvent(e));
  };
  const backoff = new Backoff({ initialMs: 200, maxMs: 2000 });
  let announced = '';
  for (;;) {
    const found = await leaderClient(consul, cluster).catch((err: Error) => {
      console.error(`(cannot read the control-plane lock from Consul: ${err.message}; retrying)`);
      return null;
    });
    if (found === null) {
      await backoff.wait();
      continue;
    }
    if (!found) {
      if (announced !== 'none') console.error('(no control-plane leader yet; waiting)');
      announced = 'none';
      await backoff.wait();
      continue;
    }
    if (announced !== found.leader.id) console.error(`(following ${found.leader.id} at ${found.leader.grpcAddress})`);
    announced = found.leader.id;
    const done = await new Promise<'history-done' | 'broken'>((resolve) => {
      const call = found.client.watchEvents({ history });
      let live = false;
      call.on('data', (r: WatchEventsResponse) => {
        if (!r.replayed && !live) {
          live = true;
          if (values['no-follow']) {
            call.cancel();
            return finish('history-done');
          }
        }
        if (r.event) print(r.event);
      });
      // A stream has no end of history marker when nothing happens: with --no-follow, stop
      // once the replayed events have stopped coming.
      if (values['no-follow']) setTimeout(() => (call.cancel(), finish('history-done')), 1500).unref();
      // A leader that lost the lock but lives on keeps the stream open: look at the lock every
      // 2 s, and follow the new holder.
      const recheck = setInterval(() => {
        readControlPlaneLeader(consul, cluster).then(
          (now) => now?.id !== found.leader.id && call.cancel(),
          () => undefined,
        );
      }, 2000);
      const finish = (how: 'history-done' | 'broken') => {
        clearInterval(recheck);
        resolve(how);
      };
      call.on('error', () => finish('broken'));
      call.on('end', () => finish('broken'));
    });
    found.client.close();
    if (done === 'history-done') return 0;
    backoff.reset();
    await backoff.wait();
  }
}

function formatEvent(e: ClusterEvent): string {
  const time = new Date(e.atUnixMs).toISOString().replace('T', ' ').replace('Z', '');
  const kind = clusterEventKindToJSON(e.kind).replace('CLUSTER_EVENT_KIND_', '').toLowerCase();
  const details = e.details
    .filter((d) => d.key !== 'steps')
    .map((d) => `${d.key}=${d.value}`)
    .join(' ');
  return `${time}  ${e.decision ? 'decided ' : 'observed'}  ${kind.padEnd(17)} ${(e.nodeId || '-').padEnd(10)} ${e.reason}${details ? `  [${details}]` : ''}  (${e.controlPlaneId})`;
}
