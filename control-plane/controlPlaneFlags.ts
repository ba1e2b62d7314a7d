import { resolve } from 'node:path';
import { TransportSecurity } from '../common/tls/TransportSecurity';
import { ConfigError } from '../common/config/ConfigError';
import { type ClusterConfig, type ConfigWarning, isValidNodeId } from '../common/config/clusterConfig';
import { loadClusterConfig } from '../common/config/loadClusterConfig';
import { portFlag, readCommandLine } from '../common/config/commandLine';
import { defaultRunDir } from '../common/local/RunDir';
import { plaintextBinding } from '../common/net/plaintextBinding';

export const CONTROL_PLANE_HELP = `Usage: shoal-control-plane [options]

Runs one control-plane instance of a shoal cluster. It watches every node (Consul membership
and each node's Health.StreamStatus), starts the nodes the cluster config declares through its
local placement, restarts what dies (with backoff), replaces what hangs, fails the primary over
to the most advanced replica when it goes, and serves shoal.v1.Scale (GetTopology,
WatchEvents, Drain, Restart) with grpc.health.v1 and reflection.

Several instances may run: the one holding the Consul lock shoal/<cluster>/control-plane/leader
acts, the others watch and take over within about a second when it dies. While Consul cannot
be reached, no instance decides anything.

Options:
  --id ID                instance id, unique in the cluster (default: control-plane-<pid>)
  --config FILE          cluster config (JSON); default: built-in (deploy/local/cluster.json)
  --cluster NAME         cluster name, overrides the config's "name" (default: local)
  --consul HOST:PORT     Consul HTTP API (default: CONSUL_HTTP_ADDR, else 127.0.0.1:8500)
  --host ADDR            address to bind and advertise (default: 127.0.0.1); beyond loopback
                         only with TLS (the config's tls section) or --insecure
  --insecure             serve in plaintext beyond loopback, without the config's tls section; logged
                         as a warning at start
  --port N               first gRPC port to try (default: controlPlane.port, 7070; the next
                         free one is taken if busy; 0 = any free port)
  --http-port N          first HTTP port to try, /health/live, /health/ready, /metrics
                         (default: controlPlane.httpPort, 8070; 0 = any free port)
  --run-dir DIR          where the local placement records the nodes it starts (nodes/<id>.json),
                         their logs and state stores (default: .run in the checkout, or SHOAL_RUN_DIR)
  -h, --help             show this help

Environment: CONSUL_HTTP_ADDR, SHOAL_CONTROL_PLANE_TOKEN (bearer token for Drain and Restart),
LOG_LEVEL (default info), OTEL_EXPORTER_OTLP_ENDPOINT (export decision traces over OTLP).
Signals: SIGTERM or SIGINT releases the lock (a standby takes over at once) and exits 0; the
nodes keep running, and the next control plane re-adopts them.`;

export interface ControlPlaneFlags {
  config: ClusterConfig;
  /** Keys the config sets that have no effect, for the log. */
  configWarnings: ConfigWarning[];
  /** The config file, passed on to the nodes it starts. */
  configPath?: string;
  id: string;
  host: string;
  /** Plaintext beyond loopback allowed (--insecure); passed on to the nodes it starts. */
  insecure: boolean;
  /** Mutual TLS from the config's tls section (the `control-plane` certificate), or plaintext. */
  transport: TransportSecurity;
  grpcPort: number;
  httpPort: number;
  runDir: string;
}

/**
 * Parses the control plane's command line, the cluster config included.
 * @returns undefined when --help was asked for.
 * @throws ConfigError naming the flag or config field that is wrong.
 */
export function parseControlPlaneFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): ControlPlaneFlags | undefined {
  const str = readCommandLine(argv, ['id', 'config', 'cluster', 'consul', 'host', 'port', 'http-port', 'run-dir'], ['insecure']);
  if (!str) return undefined;
  const configPath = str('config') ? resolve(str('config')!) : undefined;
  const configEnv = str('consul') ? { ...env, CONSUL_HTTP_ADDR: str('consul') } : env;
  const configWarnings: ConfigWarning[] = [];
  const loaded = loadClusterConfig(configPath, configEnv, (w) => configWarnings.push(w));
  const cluster = str('cluster');
  if (cluster !== undefined && !isValidNodeId(cluster)) throw new ConfigError('--cluster', `"${cluster}" must be lowercase letters, digits and dashes`);
  const config = cluster ? { ...loaded, name: cluster } : loaded;
  const id = str('id') ?? `control-plane-${process.pid}`;
  if (!isValidNodeId(id)) throw new ConfigError('--id', `"${id}" must be lowercase letters, digits and dashes, 1-63 long`);
  const host = str('host') ?? '127.0.0.1';
  if (host === '0.0.0.0' || host === '::') throw new ConfigError('--host', 'must be an address others can dial (it is what goes into Consul)');
  const insecure = str('insecure') === 'true';
  const transport = TransportSecurity.of(config.tls, 'control-plane');
  if (!transport.enabled) configWarnings.push(...plaintextBinding('--host', host, insecure));
  const grpcPort = str('port') !== undefined ? portFlag('--port', str('port')!) : config.controlPlane.port;
  const httpPort = str('http-port') !== undefined ? portFlag('--http-port', str('http-port')!) : config.controlPlane.httpPort;
  return { config, configWarnings, configPath, id, host, insecure, transport, grpcPort, httpPort, runDir: resolve(str('run-dir') ?? defaultRunDir(env)) };
}
