import { join, resolve } from 'node:path';
import { TransportSecurity } from '../../common/tls/TransportSecurity';
import { REPO_ROOT } from '../../common/paths';
import { ConfigError } from '../../common/config/ConfigError';
import { type ClusterConfig, type ConfigWarning, isValidNodeId, ROLE_NAMES, type RoleName } from '../../common/config/clusterConfig';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';
import { portFlag, readCommandLine } from '../../common/config/commandLine';
import { plaintextBinding } from '../../common/net/plaintextBinding';
import type { EventHandler } from './worker/handlers';
import { loadHandlers } from './worker/loadHandlers';

export const NODE_HELP = `Usage: shoal-node --role ROLE [options]

Runs one shoal node: a gRPC server (shoal.v1 Discovery, Health, State and Sync,
grpc.health.v1, server reflection) and an HTTP listener (/health/live, /health/ready,
/metrics), registered in Consul as service shoal-<cluster> with the node id as service ID and
the role as tag. A primary or replica keeps the replicated state store in --data-dir; the
role given only decides who starts the first term: after that, Consul's leader record says who
the primary is.

Options:
  --role ROLE            primary, replica or worker (required)
  --id ID                node id, unique in the cluster (default: "primary" for the primary;
                         required for replicas and workers, e.g. replica-1)
  --config FILE          cluster config (JSON, the seed's clusterSchema shape); default: built-in
  --cluster NAME         cluster name, overrides the config's "name" (default: local)
  --consul HOST:PORT     Consul HTTP API (default: CONSUL_HTTP_ADDR, else 127.0.0.1:8500)
  --host ADDR            address to bind (default: 127.0.0.1; 0.0.0.0 needs --advertise-host);
                         beyond loopback only with TLS (the config's tls section) or --insecure
  --insecure             serve in plaintext beyond loopback, without the config's tls section; logged
                         as a warning at start
  --advertise-host HOST  host other processes reach this node at (default: --host)
  --port N               first gRPC port to try; the next free one above is taken if busy
                         (default: the role's port in the config: 8080 primary, 8081 replica,
                         8082 worker; 0 = any free port)
  --http-port N          first HTTP port to try (default: --port + 1000 when --port is
                         given, else the config's: 9080, 9081, 9082; 0 = any free port)
  --drain-timeout MS     on SIGTERM, how long in-flight calls may finish (default: 10000)
  --data-dir DIR         where the state store lives, primary and replicas (default:
                         .run/data/<cluster>/<id> in the checkout)
  --handlers FILE        workers: a module exporting one async function per event type,
                         (event, ctx) => result, besides the built-ins cpu, sleep, hash, counter
                         (default: the config's events.handlers)
  -h, --help             show this help

Environment: CONSUL_HTTP_ADDR, LOG_LEVEL (default info), OTEL_EXPORTER_OTLP_ENDPOINT (traces
are exported over OTLP only when set), OTEL_EXPORTER_OTLP_PROTOCOL (grpc, http/protobuf, http/json).
Signals: SIGTERM or SIGINT drains and exits 0; a second one exits at once.`;

export interface NodeFlags {
  config: ClusterConfig;
  /** Keys the config sets that have no effect, for the log. */
  configWarnings: ConfigWarning[];
  id: string;
  role: RoleName;
  /** Address the servers bind. */
  host: string;
  /** Host other processes use to reach this node (what goes into Consul). */
  advertiseHost: string;
  /** First gRPC port to try; 0 = any free port. */
  grpcPort: number;
  /** First HTTP port to try; 0 = any free port. */
  httpPort: number;
  /** Where the state store lives (primary and replicas). */
  dataDir: string;
  /** Event handlers of a worker: the built-ins plus those of --handlers. */
  handlers: Record<string, EventHandler>;
  /** Mutual TLS from the config's tls section (the certificate named by the id, `worker` for a worker), or plaintext. */
  transport: TransportSecurity;
}

/**
 * Parses the node's command line into validated options, the cluster config included.
 * @returns undefined when --help was asked for.
 * @throws ConfigError naming the flag or config field that is wrong.
 */
export function parseNodeFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): NodeFlags | undefined {
  const str = readCommandLine(
    argv,
    ['role', 'id', 'config', 'cluster', 'consul', 'host', 'advertise-host', 'port', 'http-port', 'drain-timeout', 'data-dir', 'handlers'],
    ['insecure'],
  );
  if (!str) return undefined;

  const role = str('role');
  if (!role) throw new ConfigError('--role', `is required (one of ${ROLE_NAMES.join(', ')})`);
  if (!(ROLE_NAMES as readonly string[]).includes(role)) throw new ConfigError('--role', `must be one of ${ROLE_NAMES.join(', ')} (got "${role}")`);

  const configEnv = str('consul') ? { ...env, CONSUL_HTTP_ADDR: str('consul') } : env;
  const configWarnings: ConfigWarning[] = [];
  const loaded = loadClusterConfig(str('config'), configEnv, (w) => configWarnings.push(w));
  const config = str('cluster') ? { ...loaded, name: validCluster(str('cluster')!) } : loaded;
  const template = config.nodes.find((n) => n.type === role);

  const id = str('id') ?? (role === 'primary' ? (template?.id ?? 'primary') : undefined);
  if (!id) throw new ConfigError('--id', `is required for a ${role} (e.g. --id ${role}-1)`);
  if (!isValidNodeId(id)) throw new ConfigError('--id', `"${id}" must be lowercase letters, digits and dashes, 1-63 long`);

  const host = str('host') ?? '127.0.0.1';
  const wildcard = host === '0.0.0.0' || host === '::';
  const advertiseHost = str('advertise-host') ?? (wildcard ? undefined : host);
  if (!advertiseHost) throw new ConfigError('--advertise-host', `is required when --host is ${host}: Consul needs an address others can dial`);
  // A worker holds the one certificate every worker shares: the autoscaler names new ones.
  const transport = TransportSecurity.of(config.tls, role === 'worker' ? 'worker' : id);
  if (!transport.enabled) configWarnings.push(...plaintextBinding('--host', host, str('insecure') === 'true'));

  // Without flags, both ports come from the role's template; with --port alone, the HTTP port
  // follows it (+1000), as the help says.
  const explicitPort = str('port') !== undefined ? portFlag('--port', str('port')!) : undefined;
  const grpcPort = explicitPort ?? template?.config.port ?? 0;
  const httpDefault = explicitPort === undefined ? (template?.config.httpPort ?? 0) : explicitPort === 0 ? 0 : explicitPort + 1000;
  const httpPort = str('http-port') !== undefined ? portFlag('--http-port', str('http-port')!) : httpDefault;
  if (str('drain-timeout') !== undefined) {
    const ms = Number(str('drain-timeout'));
    if (!Number.isInteger(ms) || ms < 0 || ms > 600_000) throw new ConfigError('--drain-timeout', 'must be a whole number of milliseconds from 0 to 600000');
    config.health = { ...config.health, drainTimeout: ms };
  }
  const dataDir = resolve(str('data-dir') ?? join(REPO_ROOT, '.run', 'data', config.name, id));
  if (str('handlers') !== undefined && role !== 'worker') throw new ConfigError('--handlers', `is for workers; a ${role} runs no event handlers`);
  const handlers = role === 'worker' ? loadHandlers(str('handlers') ?? config.events.handlers) : {};
  return { config, configWarnings, id, role: role as RoleName, host, advertiseHost, grpcPort, httpPort, dataDir, handlers, transport };
}

function validCluster(name: string): string {
  if (!isValidNodeId(name)) throw new ConfigError('--cluster', `"${name}" must be lowercase letters, digits and dashes`);
  return name;
}
