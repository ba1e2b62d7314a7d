// The shoal command line. The gRPC instrumentation must be the first import.
import '../common/telemetry/instrumentGrpc';
import { resolve } from 'node:path';
import { ConfigError } from '../common/config/ConfigError';
import { SHOAL_VERSION } from '../common/cluster/version';
import { startTracing } from '../common/telemetry/startTracing';
import { CliError } from './CliError';
import { down } from './commands/down';
import { logs } from './commands/logs';
import { status } from './commands/status';
import { up } from './commands/up';
import { get } from './commands/get';
import { ls } from './commands/ls';
import { put } from './commands/put';
import { rm } from './commands/rm';
import { failover, switchover } from './commands/switchover';
import { events } from './commands/events';
import { kill } from './commands/kill';
import { dlq } from './commands/dlq';
import { publish } from './commands/publish';
import { load } from './commands/load';
import { forget } from './commands/forget';
import { lab } from './commands/lab';
import { certs } from './commands/certs';
import { consulPolicy } from './commands/consulPolicy';
import { chaos } from './commands/chaos';

const HELP = `Usage: shoal COMMAND [options]

shoal runs a self-orchestrating gRPC cluster: nodes (primary, replicas, workers) that register
with Consul, keep a replicated key-value store, and serve it over gRPC with health and metrics;
a control plane restarts what dies and fails the primary over.

Commands:
  up          start a local cluster (Consul dev agent if none, two control planes, which start
              1 primary, 2 replicas, 2 workers)
  down        stop what \`up\` started
  status      every node's role, addresses, health, term, log position, replication lag and
              restarts; the control-plane leader and standbys
  events      follow the control plane's decisions and observations
  kill        SIGKILL a node the control plane started (to watch it heal)
  logs        show or follow the nodes' logs
  put         write a key on the primary (acknowledged once replicated per sync.minAcks)
  get         read a key (from the primary, or a replica with --from)
  ls          list keys under a prefix
  rm          delete a key on the primary
  publish     publish an event (a worker runs the handler for its type)
  load        publish events at a steady rate, with a live progress line
  dlq         list dead-lettered events, or put them back in the queue
  switchover  planned, lossless move of the primary to a replica
  failover    promote the most advanced replica now (the primary is gone or hung)
  forget      a node's unreachable host is gone for good: start the node on another host
  lab         hosts as network namespaces on this machine, and faults as commands (Linux, root)
  certs       make the cluster's TLS material: a CA and a certificate per process (openssl)
  consul-policy
              print the smallest Consul ACL policy the cluster works with
  chaos       clients and faults against the local cluster, every operation recorded and the
              history judged (linearizable registers, no acknowledged write lost)

Run \`shoal COMMAND --help\` for a command's options. Single nodes: \`npm run start:primary\`,
\`npm run start:replica -- --id replica-1\`, \`npm run start:worker -- --id worker-1\`.

Environment: CONSUL_HTTP_ADDR (default 127.0.0.1:8500), CONSUL_HTTP_TOKEN, SHOAL_RUN_DIR (default .run),
OTEL_EXPORTER_OTLP_ENDPOINT (export traces over OTLP when set).`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  up,
  down,
  status,
  events,
  kill,
  logs,
  put,
  get,
  ls,
  rm,
  publish,
  load,
  dlq,
  switchover,
  failover,
  forget,
  lab,
  certs,
  'consul-policy': consulPolicy,
  chaos,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Processes `up` starts run elsewhere (the checkout) with this environment: a relative token file is this shell's.
  if (process.env.CONSUL_HTTP_TOKEN_FILE) process.env.CONSUL_HTTP_TOKEN_FILE = resolve(process.env.CONSUL_HTTP_TOKEN_FILE);
  if (!command || command === '--help' || command === '-h' || command === 'help') return (console.log(HELP), command ? 0 : 2);
  if (command === '--version') return (console.log(SHOAL_VERSION), 0);
  const run = COMMANDS[command];
  if (!run) {
    console.error(`shoal: unknown command "${command}". Commands: ${Object.keys(COMMANDS).join(', ')}. See \`shoal --help\`.`);
    return 2;
  }
  return run(rest);
}

let stopTracing: () => Promise<void> = () => Promise.resolve();
void Promise.resolve()
  .then(() => {
    stopTracing = startTracing({ serviceName: 'shoal-cli', instanceId: `cli-${process.pid}`, version: SHOAL_VERSION });
    return main(process.argv.slice(2));
  })
  .catch((err: unknown) => {
    if (err instanceof CliError || err instanceof ConfigError) {
      console.error(`shoal: ${err.message}`);
      return 1;
    }
    // parseArgs reports unknown or malformed options with this code.
    if ((err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`shoal: ${(err as Error).message}`);
      return 2;
    }
    console.error(err);
    return 1;
  })
  .then(async (code) => {
    await stopTracing().catch(() => undefined);
    process.exit(code);
  });
