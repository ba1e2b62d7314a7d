import { parseArgs } from 'node:util';
import { StateClient } from '../../common/client/StateClient';
import { CliError } from '../CliError';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { grpcFailure } from '../grpcFailure';
import { nodeAddress } from '../nodeAddress';
import { intOption } from '../intOption';
import { CONSISTENCY_HELP, consistencyOption } from '../consistencyOption';

export const GET_HELP = `Usage: shoal get KEY [--consistency MODE] [--from NODE] [--min-position N] [--config FILE] [--cluster NAME] [--consul HOST:PORT]

Prints the value under KEY (as UTF-8) and, on stderr, its version. Exits 1 when the key does
not exist.

Options:
  --from NODE         read from this node (e.g. replica-1) instead of the primary (a stale read)
  --min-position N    on a replica, wait until it has applied log position N (read-your-writes)
${CONSISTENCY_HELP}
${CLUSTER_OPTIONS_HELP}
  -h, --help          show this help`;

export async function get(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CLUSTER_OPTIONS,
      from: { type: 'string' },
      consistency: { type: 'string' },
      'min-position': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (console.log(GET_HELP), 0);
  if (positionals.length !== 1) throw new CliError('get takes one KEY (see `shoal get --help`)');
  const [key] = positionals;
  const minPosition = intOption('--min-position', values['min-position'], 0);
  const consistency = consistencyOption(values.consistency, values.from);
  const { consul, cluster, transport } = await connectCluster(values);
  const address = values.from ? await nodeAddress(consul, cluster, values.from) : undefined;
  const client = new StateClient({ consul, cluster, credentials: transport.channel() });
  try {
    const r = await client.get(key, { address, minPosition, consistency });
    if (!r.found) {
      console.error(`shoal: ${key} not found (at position ${r.position})`);
      return 1;
    }
    process.stdout.write(Buffer.from(r.value).toString('utf8') + '\n');
    console.error(`version ${r.version}, read at position ${r.position}, term ${r.term} from ${r.nodeId}${r.mayBeStale ? ' (may be stale)' : ''}`);
    return 0;
  } catch (err) {
    throw grpcFailure(err, `get ${key}`);
  } finally {
    client.close();
  }
}
