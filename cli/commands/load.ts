import { parseArgs } from 'node:util';
import { EventsClient } from '../../common/client/EventsClient';
import { CliError } from '../CliError';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';

export const LOAD_HELP = `Usage: shoal load [--rate N] [--duration S] [--type TYPE] [--payload P] [--consul HOST:PORT]

Generates load: publishes events at a steady rate for a while, printing a progress line every
second (sent, acknowledged, processed, backlog, rate), then waits until the backlog is
processed. Watch the control plane add workers while it runs and remove them after
(\`shoal events\`).

Options:
  --rate N        events per second (default: 100)
  --duration S    seconds of load (default: 30)
  --type TYPE     event type (default: cpu)
  --payload P     payload (default: {"ms":20} for cpu and sleep, empty otherwise)
  --no-wait       do not wait for the backlog to be processed at the end
${CLUSTER_OPTIONS_HELP}
  -h, --help      show this help`;

/** Publishes come in batches every tick, so the rate holds without one call per event. */
const TICK_MS = 100;

export async function load(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...CLUSTER_OPTIONS,
      rate: { type: 'string' },
      duration: { type: 'string' },
      type: { type: 'string' },
      payload: { type: 'string' },
      'no-wait': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (console.log(LOAD_HELP), 0);
  const rate = Number(values.rate ?? 100);
  const duration = Number(values.duration ?? 30);
  if (!Number.isFinite(rate) || rate <= 0 || rate > 100_000) throw new CliError(`--rate must be from 1 to 100000 events per second (got "${values.rate}")`);
  if (!Number.isFinite(duration) || duration <= 0 || duration > 86_400)
    throw new CliError(`--duration must be from 1 to 86400 seconds (got "${values.duration}")`);
  const type = values.type ?? 'cpu';
  const payload = Buffer.from(values.payload ?? (type === 'cpu' || type === 'sleep' ? '{"ms":20}' : ''), 'utf8');
  const { consul, cluster, transport } = await connectCluster(values);
  const client = new EventsClient({ consul, cluster, credentials: transport.channel() });
  // A load run outlives failovers: its publishes move to a new primary as soon as Consul names it.
  client.followLeader();
  const tty = process.stdout.isTTY;
  const started = Date.now();
  const doneAtStart = (await client.backlog()).done;
  let sent = 0;
  let acked = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const progress = async (final = false) => {
    const b = await client.backlog().catch(() => undefined);
    const secs = (Date.now() - started) / 1000;
    const line = `t=${secs.toFixed(0)}s sent ${sent} acked ${acked} failed ${failed} processed ${b ? Math.max(0, b.done - doneAtStart) : '?'} backlog ${b ? b.pending + b.leased : '?'} rate ${(acked / Math.max(secs, 0.001)).toFixed(0)}/s`;
    if (tty && !final) process.stdout.write(`\r${line}   `);
    else console.log(line);
    return b;
  };
  const ticker = setInterval(() => void progress(), 1000);
  try {
    while (Date.now() - started < duration * 1000) {
      // What the rate asks for by now, sent in batches of up to 100, at most 16 calls at once.
      let due = Math.floor(((Date.now() - started) / 1000) * rate) - sent;
      while (due > 0 && inFlight.size < 16) {
        const n = Math.min(due, 100);
        due -= n;
        sent += n;
        const p = client.publishBatch(Array.from({ length: n }, () => ({ type, payload }))).then(
          () => void (acked += n),
          () => void (failed += n),
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    await Promise.all(inFlight);
    if (!values['no-wait']) {
      for (;;) {
        const b = await client.backlog().catch(() => undefined);
        if (b && b.pending + b.leased === 0) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    clearInterval(ticker);
    if (tty) process.stdout.write('\n');
    await progress(true);
    return failed === 0 ? 0 : 1;
  } finally {
    clearInterval(ticker);
    client.close();
  }
}
