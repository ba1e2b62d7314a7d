import { parseArgs } from 'node:util';
import { isRunning } from '../../common/local/processRecord';
import { defaultRunDir, RunDir } from '../../common/local/RunDir';
import { signalGroup } from '../../common/local/stopProcess';
import { CliError } from '../CliError';

export const KILL_HELP = `Usage: shoal kill NODE [--signal SIG] [--run-dir DIR]

Sends a signal (default SIGKILL, as a crash would) to a node the control plane's local placement
started, and to everything in its process group, for demos and drills: watch the control plane
notice, restart it, and fail over if it was the primary (\`shoal events\`). Nodes started by
hand are not in the run directory; kill those yourself.

Options:
  --signal SIG    KILL, TERM, INT, STOP or CONT (default: KILL)
  --run-dir DIR   run directory of \`shoal up\` (default: .run in the checkout, or SHOAL_RUN_DIR)
  -h, --help      show this help`;

const SIGNALS = ['KILL', 'TERM', 'INT', 'STOP', 'CONT'];

export function kill(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { signal: { type: 'string' }, 'run-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return Promise.resolve((console.log(KILL_HELP), 0));
  if (positionals.length !== 1) throw new CliError('name one node to kill, e.g. `shoal kill worker-1`');
  const signal = (values.signal ?? 'KILL').toUpperCase().replace(/^SIG/, '');
  if (!SIGNALS.includes(signal)) throw new CliError(`--signal must be one of ${SIGNALS.join(', ')} (got "${values.signal}")`);
  const id = positionals[0];
  const runDir = new RunDir(values['run-dir'] ?? defaultRunDir());
  const nodes = runDir.readNodes();
  const node = nodes.find((n) => n.id === id);
  if (!node) throw new CliError(`no node "${id}" was started by the control plane from ${runDir.path} (known: ${nodes.map((n) => n.id).join(', ') || 'none'})`);
  if (!isRunning(node)) throw new CliError(`${id} is not running (pid ${node.pid} is gone); the control plane may be restarting it`);
  signalGroup(node.pid, `SIG${signal}` as NodeJS.Signals);
  console.log(`sent SIG${signal} to ${id} (pid ${node.pid} and its process group)`);
  return Promise.resolve(0);
}
