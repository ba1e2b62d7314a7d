import { parseArgs } from 'node:util';
import { EventsClient } from '../../common/client/EventsClient';
import { CliError } from '../CliError';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { grpcFailure } from '../grpcFailure';
import { intOption } from '../intOption';

export const PUBLISH_HELP = `Usage: shoal publish TYPE [PAYLOAD] [--key KEY] [--idempotency-key K] [--count N] [--consul HOST:PORT]

Publishes an event of TYPE with PAYLOAD (UTF-8; default empty) to the primary, found through
Consul. It is acknowledged once durable and replicated (sync.minAcks), so it survives a
failover; a worker then runs the handler for TYPE. Built-in types: cpu '{"ms":50}',
sleep '{"ms":100}', hash 'any bytes', counter '{"name":"hits"}'.

Options:
  --key KEY             what the event is about (free-form)
  --idempotency-key K   publishing K again returns the first event and publishes nothing
  --count N             publish N copies (in batches of 100); prints a summary (default: 1)
${CLUSTER_OPTIONS_HELP}
  -h, --help            show this help`;

export async function publish(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CLUSTER_OPTIONS,
      key: { type: 'string' },
      'idempotency-key': { type: 'string' },
      count: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (console.log(PUBLISH_HELP), 0);
  if (positionals.length < 1 || positionals.length > 2) throw new CliError('publish takes TYPE and an optional PAYLOAD (see `shoal publish --help`)');
  const [type, payload = ''] = positionals;
  const count = intOption('--count', values.count, 1, { min: 1, max: 1_000_000 });
  if (count > 1 && values['idempotency-key']) throw new CliError('--idempotency-key names one event; it cannot go with --count');
  const { consul, cluster, transport } = await connectCluster(values);
  const client = new EventsClient({ consul, cluster, credentials: transport.channel() });
  const event = { type, key: values.key ?? '', payload: Buffer.from(payload, 'utf8'), idempotencyKey: values['idempotency-key'] ?? '' };
  try {
    if (count === 1) {
      const r = await client.publish(event);
      console.log(`${r.duplicate ? 'DUPLICATE' : 'OK'} event ${r.eventId} (position ${r.position}, term ${r.term})`);
      return 0;
    }
    const started = Date.now();
    for (let sent = 0; sent < count;) {
      const n = Math.min(100, count - sent);
      await client.publishBatch(Array.from({ length: n }, () => event));
      sent += n;
    }
    console.log(`OK ${count} events of type ${type} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    throw grpcFailure(err, `publish ${type}`);
  } finally {
    client.close();
  }
}
