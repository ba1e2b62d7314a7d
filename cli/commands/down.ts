import { parseArgs } from 'node:util';
import { CliError } from '../CliError';
import { defaultRunDir, RunDir } from '../../common/local/RunDir';
import { stopProcess } from '../../common/local/stopProcess';

export const DOWN_HELP = `Usage: shoal down [--run-dir DIR] [--timeout MS]

Stops what \`shoal up\` started: first the dashboard and the control planes (so nothing restarts what stops),
then every node their placement started, each with SIGTERM (a node drains and leaves Consul) and
SIGKILL if it is still running after the timeout; then the Consul dev agent, if \`up\` started
one. Nodes started by hand are left alone. Consul's data directory and the nodes' state stores are removed (a local cluster's data
lives as long as the cluster); logs stay in <run-dir>/logs.

Options:
  --run-dir DIR   run directory of \`shoal up\` (default: .run in the checkout, or SHOAL_RUN_DIR)
  --timeout MS    how long each process may take to stop before SIGKILL (default: 15000)
  -h, --help      show this help`;

export async function down(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'run-dir': { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return (console.log(DOWN_HELP), 0);
  const graceMs = Number(values.timeout ?? 15000);
  if (!Number.isInteger(graceMs) || graceMs <= 0) throw new CliError(`--timeout must be a positive number of milliseconds (got "${values.timeout}")`);
  const runDir = new RunDir(values['run-dir'] ?? defaultRunDir());
  const state = runDir.read();
  if (!state && runDir.readNodes().length === 0) {
    console.log(`Nothing to stop: no cluster was started from ${runDir.path}.`);
    return 0;
  }
  if (state?.monitor) console.log(`Dashboard: ${await stopProcess(state.monitor, graceMs)}`);
  const planes = await Promise.all((state?.controlPlanes ?? []).map(async (c) => `${c.id}: ${await stopProcess(c, graceMs)}`));
  if (planes.length) console.log(`Control planes: ${planes.join(', ')}`);
  const nodes = await Promise.all(runDir.readNodes().map(async (n) => `${n.id}: ${await stopProcess(n, graceMs)}`));
  if (nodes.length) console.log(`Nodes: ${nodes.join(', ')}`);
  if (state?.consul.process) {
    console.log(`Consul dev agent: ${await stopProcess(state.consul.process, graceMs)}; removed ${state.consul.dir}`);
  }
  runDir.clear();
  console.log(`Cluster${state ? ` "${state.cluster}"` : ''} is down; its data is removed. Logs kept in ${runDir.logsDir}.`);
  return 0;
}
