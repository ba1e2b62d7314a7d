import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MemberHealth } from '../../gen/shoal/v1/node';
import type { ConsulApi } from '../../common/consul/ConsulApi';
import { agentConsul } from '../../common/consul/clusterConsul';
import { generateDashboardToken } from '../../common/config/dashboardToken';
import { startDevAgent } from '../../common/consul/devAgent';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';
import { clusterMembers } from '../../common/cluster/memberFromConsul';
import { waitFor } from '../../common/time/waitFor';
import { certificateFilesOf, type TransportSecurity } from '../../common/tls/TransportSecurity';
import { prepareLocalTls } from '../local/localTls';
import { CliError } from '../CliError';
import { clusterStatus, controlPlaneStatus, formatControlPlane, formatStatusTable } from '../local/clusterStatus';
import { consulBinary } from '../../common/consul/consulBinary';
import { declaredNodeIds } from '../../common/config/clusterConfig';
import { readControlPlaneLeader } from '../../common/cluster/controlPlaneLeader';
import { isRunning, recordProcess } from '../../common/local/processRecord';
import { stopProcess } from '../../common/local/stopProcess';
import { defaultRunDir, RunDir, type RunState, type StartedMonitor } from '../../common/local/RunDir';
import { spawnControlPlane } from '../local/spawnControlPlane';
import { type MonitorLaunch, spawnMonitor } from '../local/spawnMonitor';
import { formatUrls } from '../local/urls';
import { monitorPid } from '../local/monitorPid';
import { isLoopback } from '../../common/net/plaintextBinding';
import { intOption } from '../intOption';
import { consulFlag, operatorTransport } from '../clusterOptions';

export const UP_HELP = `Usage: shoal up [--config FILE] [--consul HOST:PORT] [--tls] [--run-dir DIR] [--timeout MS] [--control-planes N] [--dashboard-port N] [--dashboard-host ADDR]

Starts a local cluster in the background and returns once every node is healthy in Consul:
  1. Consul: uses the agent at --consul or CONSUL_HTTP_ADDR (default 127.0.0.1:8500) if it answers, else
     starts a dev agent there (UI at http://127.0.0.1:8500/ui), data under the run directory.
  2. Two control-plane instances (control-plane-1, control-plane-2); one takes the Consul lock
     and starts the nodes the config declares (default: 1 primary, 2 replicas, 2 workers), each
     a background process with its log in <run-dir>/logs/<id>.log. From then on it restarts
     what dies and fails the primary over; the other stands by.
  3. The monitor: the dashboard on http://localhost:3000 (log in <run-dir>/logs/monitor.log).
  4. Prints the status table and where to look next.
Running it again while the cluster runs starts nothing and prints the status.

Options:
  --config FILE   cluster config (JSON, the seed's clusterSchema shape); default: built-in
  --consul HOST:PORT  Consul agent to use (or start, on 127.0.0.1); wins over CONSUL_HTTP_ADDR
                  and the config's consul.address
  --tls           mutual TLS on every gRPC hop: makes the cluster's certificates in <run-dir>/certs
                  (shoal certs create), writes the config with a tls section to <run-dir>/cluster.json,
                  runs everything with it, and starts the dev agent able to run TLS checks.
                  Point the CLI at it: export SHOAL_CONFIG=<run-dir>/cluster.json
  --run-dir DIR   where pids, logs and Consul's data go (default: .run in the checkout, or SHOAL_RUN_DIR)
  --timeout MS    how long to wait for every node to pass its Consul check (default: 60000)
  --control-planes N  control-plane instances to start (default: 2)
  --dashboard-port N  port of the dashboard on 127.0.0.1 (default: 3000; 0: no dashboard)
  --dashboard-host ADDR  address the dashboard listens on (default: 127.0.0.1). Beyond loopback
                  (e.g. 0.0.0.0) it needs TLS (--tls or a config with a tls section) and serves
                  HTTPS behind a login token: the config's dashboard.token or SHOAL_DASHBOARD_TOKEN,
                  else one made here, handed to the dashboard in its environment and printed
                  once, as a login URL (…/?token=…)
  -h, --help      show this help`;

export async function up(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      consul: { type: 'string' },
      'run-dir': { type: 'string' },
      timeout: { type: 'string' },
      'control-planes': { type: 'string' },
      'dashboard-port': { type: 'string' },
      'dashboard-host': { type: 'string' },
      tls: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (console.log(UP_HELP), 0);
  const timeoutMs = Number(values.timeout ?? 60000);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new CliError(`--timeout must be a positive number of milliseconds (got "${values.timeout}")`);
  const instances = intOption('--control-planes', values['control-planes'], 2, { min: 1, max: 9 });
  const dashboardPort = intOption('--dashboard-port', values['dashboard-port'], 3000, { max: 65535 });
  let configPath = values.config ? resolve(values.config) : undefined;
  const consulAddress = values.consul === undefined ? undefined : consulFlag(values.consul);
  // With --consul, CONSUL_HTTP_ADDR is not read at all (a malformed one must not stop the command).
  const env = consulAddress ? { ...process.env, CONSUL_HTTP_ADDR: undefined } : process.env;
  let config = loadClusterConfig(configPath, env);
  const runDir = new RunDir(values['run-dir'] ?? defaultRunDir());
  if (values.tls) {
    if (config.tls) throw new CliError('--tls makes the certificates and the tls section; the config has a tls section already (leave out one of them)');
    console.log(`TLS: certificates in ${join(runDir.path, 'certs')}`);
    configPath = prepareLocalTls(runDir.path, configPath, config, () => undefined);
    config = loadClusterConfig(configPath, env);
  }
  if (consulAddress) config.consul.address = consulAddress;
  const transport = operatorTransport(config);
  const dashboardHost = values['dashboard-host'] ?? '127.0.0.1';
  if (!dashboardHost) throw new CliError('--dashboard-host must not be empty');
  const dashboardExposed = !isLoopback(dashboardHost);
  if (dashboardExposed && !config.tls) {
    throw new CliError(
      `--dashboard-host ${dashboardHost} is beyond loopback: the dashboard then serves HTTPS with the cluster's certificates, so add --tls (or give the config a tls section)`,
    );
  }

  const existing = runDir.read();
  if (existing && (existing.controlPlanes ?? []).some(isRunning)) {
    console.log(`Cluster "${existing.cluster}" is already running (started ${existing.startedAt}); not starting another. \`shoal down\` stops it.\n`);
    await printStatus(agentConsul({ ...config.consul, address: existing.consul.address }), existing, transport, configPath);
    return 0;
  }

  const started = Date.now();
  const consul = agentConsul(config.consul);
  const state: RunState = {
    cluster: config.name,
    startedAt: new Date().toISOString(),
    consul: { address: config.consul.address, uiUrl: `http://${config.consul.address}/ui`, dir: runDir.consulDir },
    controlPlanes: [],
  };
  if (await consul.isReachable()) {
    console.log(`Consul: using the agent at ${config.consul.address}`);
    if (config.tls) {
      console.log(
        `  with TLS, that agent runs the nodes' gRPC checks only with enable_agent_tls_for_checks and the consul-agent certificate (docs/security.md)`,
      );
    }
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
      ...(config.tls && { checkTls: certificateFilesOf(config.tls, 'consul-agent') }),
    });
    state.consul.process = { ...recordProcess(agent.process.pid!), log: agent.logFile };
  }
  runDir.write(state);

  for (let i = 1; i <= instances; i++) {
    state.controlPlanes.push(spawnControlPlane({ id: `control-plane-${i}`, runDir, consulAddress: config.consul.address, configPath }));
    runDir.write(state);
  }
  // A dashboard left from an earlier `up` (its control planes have died) holds the port.
  if (existing?.monitor && isRunning(existing.monitor)) await stopProcess(existing.monitor, 5000);
  if (dashboardPort > 0) {
    // A token of the config (or SHOAL_DASHBOARD_TOKEN) reaches the dashboard as it is; without one, one is made here, so the
    // login URL is printed here and not in the dashboard's log file.
    const token = dashboardExposed && !config.dashboard.token ? generateDashboardToken() : undefined;
    state.monitor = await startMonitor(
      { runDir, consulAddress: config.consul.address, configPath, port: dashboardPort, host: dashboardHost, https: dashboardExposed, token },
      config.tls && readFileSync(config.tls.caFile),
      dashboardExposed || config.dashboard.token !== '',
    );
    runDir.write(state);
  }
  const declared = declaredNodeIds(config);
  console.log(
    `Control planes: started ${state.controlPlanes.map((c) => c.id).join(', ')}; the leader starts ${declared.join(', ')}. Waiting until all pass their Consul checks …`,
  );

  let last = '';
  const outcome = await waitFor(
    'every node to pass its Consul check',
    async () => {
      const dead = state.controlPlanes.find((c) => !isRunning(c));
      if (dead) return { dead };
      const [members, leader] = await Promise.all([clusterMembers(consul, config.name), readControlPlaneLeader(consul, config.name)]);
      const passing = members.filter((m) => m.health === MemberHealth.MEMBER_HEALTH_PASSING && declared.includes(m.id));
      const progress = `  ${passing.length}/${declared.length} nodes passing; control-plane leader: ${leader?.id ?? 'not elected yet'}`;
      if (progress !== last) console.log((last = progress));
      return passing.length === declared.length && leader !== undefined && { dead: undefined };
    },
    { timeoutMs, intervalMs: 200 },
  ).catch((err: unknown) => {
    throw new CliError(`${(err as Error).message}. Logs: ${runDir.logsDir}; \`shoal down\` stops what started.`);
  });
  if (outcome.dead) {
    throw new CliError(`control plane ${outcome.dead.id} exited during start-up; see ${outcome.dead.log} (\`shoal down\` stops the rest)`);
  }
  console.log(`Cluster "${config.name}" is up: ${declared.length} nodes healthy in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  await printStatus(consul, state, transport, configPath);
  return 0;
}

async function printStatus(consul: ConsulApi, state: RunState, transport: TransportSecurity, configPath: string | undefined): Promise<void> {
  const rows = await clusterStatus(consul, state.cluster, transport.channel());
  console.log(formatStatusTable(rows));
  console.log(formatControlPlane(await controlPlaneStatus(consul, state.cluster)));
  console.log('');
  console.log(formatUrls(state.consul.address, state.cluster, state, rows, transport, configPath));
}

/**
 * Starts the dashboard and waits until it listens. A dashboard that cannot start (its port is
 * taken) is reported, not fatal: the cluster runs without it. With a login, prints the login URL
 * (with the token when `up` made it: only here, once) or where to log in.
 */
async function startMonitor(launch: MonitorLaunch, ca: Buffer | undefined, login: boolean): Promise<StartedMonitor | undefined> {
  const monitor = spawnMonitor(launch);
  const host = launch.host ?? '127.0.0.1';
  const dial = host === '0.0.0.0' || host === 'localhost' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  const probe = `${launch.https ? 'https' : 'http'}://${dial}:${launch.port}`;
  const listening = await waitFor(
    'the dashboard to listen',
    async () => {
      if (!isRunning(monitor)) return 'exited';
      // Ours, not something else that answers on the port.
      return (await monitorPid(probe, ca)) === monitor.pid && 'listening';
    },
    { timeoutMs: 10_000, intervalMs: 100 },
  ).catch(() => 'timed out');
  if (listening !== 'listening') {
    console.log(
      `Dashboard: did not start (${listening}); see ${monitor.log}. The cluster runs without it; \`npm run monitor -- --config FILE --port N\` starts it on another port.`,
    );
    return isRunning(monitor) ? monitor : undefined;
  }
  if (launch.token) console.log(`Dashboard: log in at ${monitor.url}/?token=${launch.token}  (a token made for this run, printed only here)`);
  else if (login) console.log(`Dashboard: ${monitor.url}/login  (the token of dashboard.token or SHOAL_DASHBOARD_TOKEN)`);
  else console.log(`Dashboard: ${monitor.url}`);
  return monitor;
}
