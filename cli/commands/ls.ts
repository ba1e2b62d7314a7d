import { parseArgs } from 'node:util';
import { StateClient } from '../../common/client/StateClient';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { grpcFailure } from '../grpcFailure';
import { nodeAddress } from '../nodeAddress';
import { intOption } from '../intOption';
import { CONSISTENCY_HELP, consistencyOption } from '../consistencyOption';

export const LS_HELP = `Usage: shoal ls [PREFIX] [--limit N] [--consistency MODE] [--from NODE] [--config FILE] [--cluster NAME] [--consul HOST:PORT]

Lists keys under PREFIX (all keys without one) in key order: key, version, and the value's
first 60 characters.

Options:
  --limit N       stop after N keys (default: all)
  --from NODE     read from this node instead of the primary (a stale read)
${CONSISTENCY_HELP}
${CLUSTER_OPTIONS_HELP}
  -h, --help      show this help`;

export async function ls(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CLUSTER_OPTIONS,
      limit: { type: 'string' },
      from: { type: 'string' },
      consistency: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (console.log(LS_HELP), 0);
  const prefix = positionals[0] ?? '';
  const limit = intOption('--limit', values.limit, Infinity);
  const consistency = consistencyOption(values.consistency, values.from);
  const { consul, cluster, transport } = await connectCluster(values);
  const address = values.from ? await nodeAddress(consul, cluster, values.from) : undefined;
  const client = new StateClient({ consul, cluster, credentials: transport.channel() });
  let shown = 0;
  try {
    let pageToken = '';
    do {
      const page = await client.list(prefix, { address, consistency, limit: Math.min(1000, limit - shown), pageToken });
      for (const e of page.entries) {
        const text = Buffer.from(e.value).toString('utf8').replace(/\s+/g, ' ');
        console.log(`${e.key}\tv${e.version}\t${text.length > 60 ? text.slice(0, 57) + '...' : text}`);
        shown += 1;
      }
      pageToken = page.nextPageToken;
    } while (pageToken && shown < limit);
    console.error(`${shown} key(s)`);
    return 0;
  } catch (err) {
    throw grpcFailure(err, `ls ${prefix}`);
  } finally {
    client.close();
  }
}
