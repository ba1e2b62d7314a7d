import { parseArgs } from 'node:util';
import { StateClient } from '../../common/client/StateClient';
import { CliError } from '../CliError';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { grpcFailure } from '../grpcFailure';
import { intOption } from '../intOption';

export const PUT_HELP = `Usage: shoal put KEY VALUE [--expect-version N] [--config FILE] [--cluster NAME] [--consul HOST:PORT]

Writes VALUE (as UTF-8) under KEY on the primary, found through Consul. Prints the log
position, term and the key's new version once the write is acknowledged (durable on the
primary and applied on sync.minAcks replicas).

Options:
  --expect-version N  compare-and-set: write only if the key is at version N (0 = absent)
  --timeout MS        give up after this long, retries included (default: 10000)
${CLUSTER_OPTIONS_HELP}
  -h, --help          show this help`;

export async function put(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...CLUSTER_OPTIONS, 'expect-version': { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (console.log(PUT_HELP), 0);
  if (positionals.length !== 2) throw new CliError('put takes KEY and VALUE (see `shoal put --help`)');
  const [key, value] = positionals;
  const expectedVersion = intOption('--expect-version', values['expect-version']);
  const timeoutMs = intOption('--timeout', values.timeout);
  const { consul, cluster, transport } = await connectCluster(values);
  const client = new StateClient({ consul, cluster, deadlineMs: timeoutMs, credentials: transport.channel() });
  try {
    const r = await client.put(key, Buffer.from(value, 'utf8'), { expectedVersion });
    console.log(`OK ${key} version ${r.version} (position ${r.position}, term ${r.term})`);
    return 0;
  } catch (err) {
    throw grpcFailure(err, `put ${key}`);
  } finally {
    client.close();
  }
}
