import { parseArgs } from 'node:util';
import { type ClusterEvent, type WatchEventsResponse } from '../../gen/shoal/v1/scale';
import { clusterEventKindToJSON } from '../../gen/shoal/v1/scale';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { followControlPlaneLeader, type SessionEnd } from '../../common/cluster/followControlPlaneLeader';
import { intOption } from '../intOption';

export const EVENTS_HELP = `Usage: shoal events [--history N] [--no-follow] [--json] [--config FILE] [--cluster NAME] [--consul HOST:PORT]

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
    options: {
      ...CLUSTER_OPTIONS,
      history: { type: 'string' },
      'no-follow': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (console.log(EVENTS_HELP), 0);
  const history = intOption('--history', values.history, 20, { min: 1, max: 1000 });
  const { consul, cluster, transport } = await connectCluster(values);
  const printed = new Set<string>();
  const print = (e: ClusterEvent) => {
    const key = `${e.controlPlaneId}/${e.sequence}/${e.atUnixMs}`;
    if (printed.has(key)) return;
    printed.add(key);
    console.log(values.json ? JSON.stringify(e) : formatEvent(e));
  };
  let announced = '';
  await followControlPlaneLeader(
    {
      consul,
      cluster,
      credentials: transport.channel(),
      onState: (state) => {
        if (state.kind === 'consul-unreachable') console.error(`(cannot read the control-plane lock from Consul: ${state.error.message}; retrying)`);
        if (state.kind === 'no-leader' && announced !== 'none') console.error('(no control-plane leader yet; waiting)');
        if (state.kind === 'following' && announced !== state.leader.id) console.error(`(following ${state.leader.id} at ${state.leader.grpcAddress})`);
        if (state.kind === 'no-leader') announced = 'none';
        if (state.kind === 'following') announced = state.leader.id;
      },
    },
    ({ client, ended }) =>
      new Promise<SessionEnd>((resolve) => {
        const call = client.watchEvents({ history });
        let heard = false;
        const finish = (end: SessionEnd) => {
          ended.removeEventListener('abort', onEnded);
          call.cancel();
          resolve(end);
        };
        const onEnded = () => finish({ why: 'the lock passed on', heard });
        ended.addEventListener('abort', onEnded, { once: true });
        call.on('data', (r: WatchEventsResponse) => {
          heard = true;
          // The first live event ends the history; with --no-follow that is the end.
          if (!r.replayed && values['no-follow']) return finish('done');
          if (r.event) print(r.event);
        });
        // A stream has no end-of-history marker when nothing happens: with --no-follow, stop
        // once the replayed events have stopped coming.
        if (values['no-follow']) setTimeout(() => finish('done'), 1500).unref();
        call.on('error', (err: Error) => finish({ why: err.message, heard }));
        call.on('end', () => finish({ why: 'the stream ended', heard }));
      }),
  );
  return 0;
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
