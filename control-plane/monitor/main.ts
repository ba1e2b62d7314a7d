// Entry point of the shoal monitor: the dashboard on :3000. It exports no traces: it only reads.
import { once } from 'node:events';
import { checkConsulAccess } from '../../common/consul/checkConsulAccess';
import { clusterConsul } from '../../common/consul/clusterConsul';
import { runMain } from '../../common/process/runMain';
import { createLogger } from '../../common/telemetry/createLogger';
import { ClusterFeed } from './ClusterFeed';
import { DashboardLogin } from './DashboardLogin';
import { createMonitorServer } from './MonitorServer';
import { loginLine } from './loginLine';
import { MONITOR_HELP, parseMonitorFlags } from './monitorFlags';

/** How often the control plane sends the cluster's picture, ms: changes show within this. */
const PERIOD_MS = 500;

runMain({
  name: 'shoal-monitor',
  help: MONITOR_HELP,
  parseFlags: (argv) => parseMonitorFlags(argv),
  logger: (flags) => createLogger({ component: 'monitor', cluster: flags.config.name }),
  create: (flags, logger) => {
    const consul = clusterConsul(flags.config.consul);
    const feed = new ClusterFeed({
      consul,
      cluster: flags.config.name,
      credentials: flags.transport.logTo(logger).channel(),
      periodMs: PERIOD_MS,
      logger,
    });
    const server = createMonitorServer(feed, logger, flags.host, {
      login: flags.login && new DashboardLogin(flags.login.token, flags.https),
      https: flags.https ? flags.transport : undefined,
    });
    const start = async () => {
      await checkConsulAccess(consul, flags.config.consul, flags.config.name);
      server.listen(flags.port, flags.host);
      try {
        await once(server, 'listening');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'EADDRINUSE' ? `port ${flags.port} on ${flags.host} is in use (another monitor?); pass --port` : (err as Error).message;
        process.stderr.write(`shoal-monitor: cannot listen: ${why}\n`);
        process.exit(1);
      }
      feed.start();
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : flags.port;
      const url = `${flags.https ? 'https' : 'http'}://${flags.host.includes(':') ? `[${flags.host}]` : flags.host}:${port}`;
      const login = !flags.login ? 'none' : flags.login.generated ? 'generated token' : 'configured token';
      // The token is never in the log: a generated one is printed once, below, on stderr.
      logger.info({ url, login, consul: flags.config.consul.address }, 'dashboard serving');
      if (flags.login) process.stderr.write(`${loginLine(flags.host, port, flags.https, flags.login)}\n`);
    };
    const stop = async () => {
      server.close();
      // Page streams never end on their own.
      server.closeAllConnections();
      await feed.stop();
    };
    return { start, stop, interrupted: 'closing the page streams', startFailed: 'monitor failed to start' };
  },
});
