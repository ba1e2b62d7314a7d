import { parseArgs } from 'node:util';
import { EventsClient } from '../../common/client/EventsClient';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { grpcFailure } from '../grpcFailure';
import { intOption } from '../intOption';

export const DLQ_HELP = `Usage: shoal dlq [--redrive EVENT_ID | --redrive-all] [--limit N] [--consul HOST:PORT]

Lists the dead-lettered events (those that failed events.maxAttempts deliveries, or had no
handler for their type) with their type, attempts and last error; or puts one (or all) back in
the queue with the attempts reset.

Options:
  --redrive EVENT_ID  put that event back in the queue
  --redrive-all       put every listed event back
  --limit N           list at most N (default: 100)
${CLUSTER_OPTIONS_HELP}
  -h, --help          show this help`;

export async function dlq(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...CLUSTER_OPTIONS,
      redrive: { type: 'string' },
      'redrive-all': { type: 'boolean' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (console.log(DLQ_HELP), 0);
  const limit = intOption('--limit', values.limit, 100, { min: 1, max: 1000 });
  const { consul, cluster, transport } = await connectCluster(values);
  const client = new EventsClient({ consul, cluster, credentials: transport.channel() });
  try {
    if (values.redrive) {
      await client.redrive(values.redrive);
      console.log(`redriven: ${values.redrive}`);
      return 0;
    }
    const dead = await client.deadLetters(limit);
    if (values['redrive-all']) {
      for (const e of dead) await client.redrive(e.id);
      console.log(`redriven: ${dead.length} event(s)`);
      return 0;
    }
    if (dead.length === 0) {
      console.log('No dead-lettered events.');
      return 0;
    }
    for (const e of dead) console.log(`${e.id}  ${e.type}  attempts ${e.attempts}  ${new Date(e.publishedAtUnixMs).toISOString()}  ${e.lastError}`);
    return 0;
  } catch (err) {
    throw grpcFailure(err, 'dlq');
  } finally {
    client.close();
  }
}
