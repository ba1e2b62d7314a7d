import { ConfigError } from '../../common/config/ConfigError';
import { type ClusterConfig, type ConfigWarning, isValidNodeId } from '../../common/config/clusterConfig';
import { portFlag, readCommandLine } from '../../common/config/commandLine';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';
import { TransportSecurity } from '../../common/tls/TransportSecurity';
import { resolve } from 'node:path';

export const MONITOR_HELP = `Usage: shoal-monitor [options]

Serves the shoal dashboard: topology, live metrics, state sync, autoscaling and the control
plane's event log, pushed to the page as they happen. It follows the control-plane leader
(the holder of the Consul lock shoal/<cluster>/control-plane/leader) through its WatchCluster
and WatchEvents streams and reconnects by itself when the leader changes. Read-only: it acts
on nothing.

Options:
  --config FILE          cluster config (JSON), for the cluster name and Consul address;
                         default: built-in (deploy/local/cluster.json)
  --cluster NAME         cluster name, overrides the config's "name" (default: local)
  --consul HOST:PORT     Consul HTTP API (default: CONSUL_HTTP_ADDR, else 127.0.0.1:8500)
  --host ADDR            address to listen on (default: 127.0.0.1); requests must name it
                         or localhost as their Host; 0.0.0.0 exposes the dashboard to the
                         network, with no authentication and any Host
  --port N               port to listen on (default: 3000)
  -h, --help             show this help

Pages: / (the dashboard), /api/snapshot (all of it as JSON), /api/stream (server-sent events),
/health/live, /health/ready (ready while following a control-plane leader).
Environment: CONSUL_HTTP_ADDR, LOG_LEVEL (default info).
Signals: SIGTERM or SIGINT closes the page streams and exits 0.`;

export interface MonitorFlags {
  config: ClusterConfig;
  /** Keys the config sets that have no effect, for the log. */
  configWarnings: ConfigWarning[];
  host: string;
  port: number;
  /** TLS toward the control plane and the nodes, with the `control-plane` certificate; or plaintext. */
  transport: TransportSecurity;
}

/**
 * @returns undefined when --help was asked for.
 * @throws ConfigError naming the flag or config field that is wrong.
 */
export function parseMonitorFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): MonitorFlags | undefined {
  const str = readCommandLine(argv, ['config', 'cluster', 'consul', 'host', 'port']);
  if (!str) return undefined;
  const configEnv = str('consul') ? { ...env, CONSUL_HTTP_ADDR: str('consul') } : env;
  const configWarnings: ConfigWarning[] = [];
  const loaded = loadClusterConfig(str('config') ? resolve(str('config')!) : undefined, configEnv, (w) => configWarnings.push(w));
  const cluster = str('cluster');
  if (cluster !== undefined && !isValidNodeId(cluster)) throw new ConfigError('--cluster', `"${cluster}" must be lowercase letters, digits and dashes`);
  const host = str('host') ?? '127.0.0.1';
  if (!host) throw new ConfigError('--host', 'must not be empty');
  return {
    config: cluster ? { ...loaded, name: cluster } : loaded,
    configWarnings,
    host,
    port: str('port') !== undefined ? portFlag('--port', str('port')!) : 3000,
    // The dashboard reads what a control plane reads (conflicts from every node), so it holds that certificate.
    transport: TransportSecurity.of(loaded.tls, 'control-plane'),
  };
}
