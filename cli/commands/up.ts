import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MemberHealth } from '../../gen/shoal/v1/node';
import { ConsulApi } from '../../common/consul/ConsulApi';
import { startDevAgent } from '../../common/consul/devAgent';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';
import { clusterMembers } from '../../common/cluster/memberFromConsul';
import { waitFor } from '../../common/time/waitFor';
import { CliError } from '../CliError';
import { clusterStatus, formatStatusTable } from '../local/clusterStatus';
import { consulBinary } from '../../common/consul/consulBinary';
import { planPorts } from '../local/planPorts';
import { isRunning, recordProcess } from '../local/processRecord';
import { defaultRunDir, RunDir, type RunState } from '../local/RunDir';
import { spawnNode } from '../local/spawnNode';
import { formatUrls } from '../local/urls';

export const UP_HELP = `Usage: shoal up [--config FILE] [--run-dir DIR] [--timeout MS]

Starts a local cluster in the background and returns once every node is healthy in Consul:
  1. Consul: uses the agent at CONSUL_HTTP_ADDR (default 127.0.0.1:8500) if it answers, else
     starts a dev agent there (UI at http://127.0.0.1:8500/ui), data under the run directory.
  2. The nodes the config declares (default: 1 primary, 2 replicas, 2 workers), each a
     background process with its log in <run-dir>/logs/<id>.log.
  3. Prints the status table and where to look next.
Running it again while the cluster runs starts nothing and prints the status.

Options:
  --config FILE   cluster config (JSON, the seed's clusterSchema shape); default: built-in
  --run-dir DIR   where pids, logs and Consul's data go (default: .run in the checkout, or SHOAL_RUN_DIR)
  --timeout MS    how long to wait for every node to pass its Consul check (default: 60000)
  -h, --help      show this help`;

export async function up(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, 'run-dir': { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return console.log(UP_HELP), 0;
  const timeoutMs = Number(values.timeout ?? 60000);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new CliError(`--timeout must be a positive number of milliseconds (got "${values.timeout}")`);
  const configPath = values.config ? resolve(values.config) : undefined;
  const config = loadClusterConfig(configPath);
  const runDir = new RunDir(values['run-dir'] ?? defaultRunDir());

  const existing = runDir.read();
  if (existing && existing.nodes.some(isRunning)) {
    console.log(`Cluster "${existing.cluster}" is already running (started ${existing.startedAt}); not starting another. \`shoal down\` stops it.\n`);
    await printStatus(new ConsulApi(existing.consul.address), existing);
    return 0;
  }

  const started = Date.now();
  const consul = new ConsulApi(config.consul.address);
  const state: RunState = {
    cluster: config.name,
    startedAt: new Date().toISOString(),
    consul: { address: config.consul.address, uiUrl: `http://${config.consul.address}/ui`, dir: runDir.consulDir },
    nodes: [],
  };
  if (await consul.isReachable()) {
    console.log(`Consul: using the agent at ${config.consul.address}`);
    // A dev agent an earlier `up` started (its nodes have since died) is still ours to stop.
    const earlier = existing?.consul.process;
    if (earlier && existing?.consul.address === config.consul.address && isRunning(earlier)) state.consul.process = earlier;
  } else {
    const [host, port] = config.consul.address.split(':');
    if (host !== '127.0.0.1' && host !== 'localhost') {
      throw new CliError(`cannot reach Consul at ${config.consul.address}, and shoal only starts a dev agent on this machine (127.0.0.1)`);
    }
    console.log(`Consul: starting a dev agent on 127.0.0.1:${port} …`);
    const agent = await startDevAgent({
      binary: consulBinary(),
      httpPort: Number(port),
      standardPorts: port === '8500',
      dataDir: runDir.consulDir,
      logFile: join(runDir.logsDir, 'consul.log'),
      detached: true,
    });
    state.consul.process = { ...recordProcess(agent.process.pid!), log: agent.logFile };
  }
  runDir.write(state);

  for (const node of await planPorts(config)) {
    state.nodes.push(spawnNode(node, { logsDir: runDir.logsDir, dataDir: runDir.dataDir, consulAddress: config.consul.address, cluster: config.name, configPath }));
    runDir.write(state);
  }
  console.log(`Nodes: started ${state.nodes.map((n) => n.id).join(', ')}; waiting until all pass their Consul checks …`);

  let last = '';
  const outcome = await waitFor(
    'every node to pass its Consul check',
    async () => {
      const dead = state.nodes.find((n) => !isRunning(n));
      if (dead) return { dead };
      const passing = (await clusterMembers(consul, config.name)).filter((m) => m.health === MemberHealth.MEMBER_HEALTH_PASSING && state.nodes.some((n) => n.id === m.id));
      const progress = `  ${passing.length}/${state.nodes.length} passing`;
      if (progress !== last) console.log((last = progress));
      return passing.length === state.nodes.length && { dead: undefined };
    },
    { timeoutMs, intervalMs: 200 },
  ).catch((err: unknown) => {
    throw new CliError(`${(err as Error).message}. Logs: ${runDir.logsDir}; \`shoal down\` stops what started.`);
  });
  if (outcome.dead) {
    throw new CliError(`node ${outcome.dead.id} exited during start-up; see ${outcome.dead.log} (\`shoal down\` stops the rest)`);
  }
  console.log(`Cluster "${config.name}" is up: ${state.nodes.length} nodes healthy in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  await printStatus(consul, state);
  return 0;
}

async function printStatus(consul: ConsulApi, state: RunState): Promise<void> {
  console.log(formatStatusTable(await clusterStatus(consul, state.cluster)));
  console.log('');
  console.log(formatUrls(state.consul.address, state.cluster, state));
}
