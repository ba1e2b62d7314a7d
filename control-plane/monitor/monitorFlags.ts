import { ConfigError } from '../../common/config/ConfigError';
import { type ClusterConfig, type ConfigWarning, isValidNodeId } from '../../common/config/clusterConfig';
import { portFlag, readCommandLine } from '../../common/config/commandLine';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';
import { isLoopback } from '../../common/net/plaintextBinding';
import { TransportSecurity } from '../../common/tls/TransportSecurity';
import { generateDashboardToken } from '../../common/config/dashboardToken';
import { resolve } from 'node:path';

export const MONITOR_HELP = `Usage: shoal-monitor [options]

Serves the shoal dashboard: topology, live metrics, state sync, autoscaling and the control
plane's event log, pushed to the page as they happen. It follows the control-plane leader
(the holder of the Consul lock shoal/<cluster>/control-plane/leader) through its WatchCluster
and WatchEvents streams and reconnects by itself when the leader changes. Read-only: it acts
on nothing.

On loopback (127.0.0.0/8, ::1, localhost: the default) it serves plain HTTP and requires no
login unless the config sets dashboard.token. Beyond loopback (0.0.0.0 counts, whatever address
a browser then uses) it always requires a login token: the config's dashboard.token or
SHOAL_DASHBOARD_TOKEN, else one generated at start (256 random bits), whose login URL
(…/?token=…) it prints once on standard error, never in its JSON log. A browser logs in with
that URL or the form at /login and keeps a session cookie (HttpOnly, SameSite=Strict, 12 h);
scripts send Authorization: Bearer TOKEN. With the config's tls section it then serves HTTPS
with the control-plane certificate (renewed files taken without a restart; no client
certificate asked of browsers); without one it starts only with --insecure.

Options:
  --config FILE          cluster config (JSON), for the cluster name and Consul address;
                         default: built-in (deploy/local/cluster.json)
  --cluster NAME         cluster name, overrides the config's "name" (default: local)
  --consul HOST:PORT     Consul HTTP API (default: CONSUL_HTTP_ADDR, else 127.0.0.1:8500)
  --host ADDR            address to listen on (default: 127.0.0.1); on loopback requests
                         must name it or localhost as their Host; beyond loopback (e.g.
                         0.0.0.0) any Host, behind the login token, over HTTPS
  --port N               port to listen on (default: 3000)
  --insecure             beyond loopback without the config's tls section: serve plain HTTP
                         (the token crosses the network in clear); logged as a warning
  -h, --help             show this help

Pages: / (the dashboard), /login, /api/snapshot (all of it as JSON), /api/stream (server-sent
events), /health/live, /health/ready (ready while following a control-plane leader; these two
need no login).
Environment: CONSUL_HTTP_ADDR, SHOAL_DASHBOARD_TOKEN, LOG_LEVEL (default info).
Signals: SIGTERM or SIGINT closes the page streams and exits 0.`;

export interface MonitorFlags {
  config: ClusterConfig;
  /** Keys the config sets that have no effect, for the log. */
  configWarnings: ConfigWarning[];
  host: string;
  port: number;
  /**
   * The login token the dashboard requires, and whether it was generated at this start (only
   * then is it printed); undefined when none is (loopback, none configured).
   */
  login: { token: string; generated: boolean } | undefined;
  /** HTTPS with the `control-plane` certificate: beyond loopback with the config's tls section. */
  https: boolean;
  /** TLS toward the control plane and the nodes, with the `control-plane` certificate; or plaintext. */
  transport: TransportSecurity;
}

/**
 * @returns undefined when --help was asked for.
 * @throws ConfigError naming the flag or config field that is wrong.
 */
export function parseMonitorFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): MonitorFlags | undefined {
  const str = readCommandLine(argv, ['config', 'cluster', 'consul', 'host', 'port'], ['insecure']);
  if (!str) return undefined;
  const configEnv = str('consul') ? { ...env, CONSUL_HTTP_ADDR: str('consul') } : env;
  const configWarnings: ConfigWarning[] = [];
  const loaded = loadClusterConfig(str('config') ? resolve(str('config')!) : undefined, configEnv, (w) => configWarnings.push(w));
  const cluster = str('cluster');
  if (cluster !== undefined && !isValidNodeId(cluster)) throw new ConfigError('--cluster', `"${cluster}" must be lowercase letters, digits and dashes`);
  const host = str('host') ?? '127.0.0.1';
  if (!host) throw new ConfigError('--host', 'must not be empty');
  // Decided by the address bound, not by the one a browser uses: on 0.0.0.0 the network reaches
  // the port whatever this machine's own browser types.
  const exposed = !isLoopback(host);
  // The dashboard reads what a control plane reads (conflicts from every node), so it holds that certificate.
  const transport = TransportSecurity.of(loaded.tls, 'control-plane');
  if (exposed && !transport.enabled) {
    if (str('insecure') !== 'true') {
      throw new ConfigError(
        '--host',
        `is ${host}, beyond loopback: without TLS the login token and the cluster's picture cross the network in plaintext. give the config a tls section (docs/security.md) to serve HTTPS, or pass --insecure to serve plain HTTP on a network you trust`,
      );
    }
    configWarnings.push({
      field: '--insecure',
      message: `serving the dashboard in plain HTTP on ${host} (no TLS): the login token and the page cross the network in clear`,
    });
  }
  const configured = loaded.dashboard.token;
  return {
    config: cluster ? { ...loaded, name: cluster } : loaded,
    configWarnings,
    host,
    port: str('port') !== undefined ? portFlag('--port', str('port')!) : 3000,
    login: configured ? { token: configured, generated: false } : exposed ? { token: generateDashboardToken(), generated: true } : undefined,
    https: exposed && transport.enabled,
    transport,
  };
}
