import { parseArgs } from 'node:util';
import { StateClient } from '../../common/client/StateClient';
import { CliError } from '../CliError';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { grpcFailure } from '../grpcFailure';
import { intOption } from '../intOption';

export const RM_HELP = `Usage: shoal rm KEY [--expect-version N] [--config FILE] [--cluster NAME] [--consul HOST:PORT]

Deletes KEY on the primary, acknowledged like a write. Exits 1 when the key did not exist.

Options:
  --expect-version N  compare-and-set: delete only if the key is at version N
${CLUSTER_OPTIONS_HELP}
  -h, --help          show this help`;

export async function rm(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...CLUSTER_OPTIONS, 'expect-version': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (console.log(RM_HELP), 0);
  if (positionals.length !== 1) throw new CliError('rm takes one KEY (see `shoal rm --help`)');
  const [key] = positionals;
  const expectedVersion = intOption('--expect-version', values['expect-version']);
  const { consul, cluster, transport } = await connectCluster(values);
  const client = new StateClient({ consul, cluster, credentials: transport.channel() });
  try {
    const r = await client.delete(key, { expectedVersion });
    if (!r.deleted) {
      console.error(`shoal: ${key} not found; nothing deleted`);
      return 1;
    }
    console.log(`OK deleted ${key} (position ${r.result?.position}, term ${r.result?.term})`);
    return 0;
  } catch (err) {
    throw grpcFailure(err, `rm ${key}`);
  } finally {
    client.close();
  }
}
