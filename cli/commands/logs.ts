import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from '../CliError';
import { intOption } from '../intOption';
import { defaultRunDir, RunDir } from '../../common/local/RunDir';

export const LOGS_HELP = `Usage: shoal logs [-f] [--lines N] [--run-dir DIR] [NODE …]

Prints the logs of a cluster started with \`shoal up\` (one JSON line per event), all nodes or
the ones named, and the Consul dev agent's if \`up\` started one (name: consul).

Options:
  -f, --follow    keep printing as lines arrive (Ctrl-C to stop)
  --lines N       lines of history per file (default: 50)
  --run-dir DIR   run directory of \`shoal up\` (default: .run in the checkout, or SHOAL_RUN_DIR)
  -h, --help      show this help`;

export async function logs(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { follow: { type: 'boolean', short: 'f' }, lines: { type: 'string' }, 'run-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (console.log(LOGS_HELP), 0);
  const lines = intOption('--lines', values.lines, 50);
  const runDir = new RunDir(values['run-dir'] ?? defaultRunDir());
  const available = new Map<string, string>();
  if (existsSync(runDir.logsDir)) {
    for (const f of readdirSync(runDir.logsDir)
      .filter((f) => f.endsWith('.log'))
      .sort())
      available.set(f.slice(0, -4), join(runDir.logsDir, f));
  }
  if (available.size === 0) throw new CliError(`no logs in ${runDir.path}; start a cluster with \`shoal up\``);
  const unknown = positionals.filter((p) => !available.has(p));
  if (unknown.length) throw new CliError(`no log for ${unknown.join(', ')}; known: ${[...available.keys()].join(', ')}`);
  const files = positionals.length ? positionals.map((p) => available.get(p)!) : [...available.values()];
  const tail = spawn('tail', ['-n', String(lines), ...(values.follow ? ['-F'] : []), ...files], { stdio: 'inherit' });
  return new Promise((resolve) => tail.on('exit', (code) => resolve(code ?? 0)));
}
