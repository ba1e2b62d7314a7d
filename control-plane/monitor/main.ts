// Entry point of the shoal monitor: the dashboard on :3000. It exports no traces: it only reads.
import { once } from 'node:events';
import { clusterConsul } from '../../common/consul/clusterConsul';
import { runMain } from '../../common/process/runMain';
import { createLogger } from '../../common/telemetry/createLogger';
import { ClusterFeed } from './ClusterFeed';
import { createMonitorServer } from './MonitorServer';
import { MONITOR_HELP, parseMonitorFlags } from './monitorFlags';

/** How often the control plane sends the cluster's picture, ms: changes show within this. */
const PERIOD_MS = 500;

runMain({
  name: 'shoal-monitor',
  help: MONITOR_HELP,
  parseFlags: (argv) => parseMonitorFlags(argv),
  logger: (flags) => createLogger({ component: 'monitor', cluster: flags.config.name }),
  create: (flags, logger) => {
    const feed = new ClusterFeed({
      consul: clusterConsul(flags.config.consul),
      cluster: flags.config.name,
      credentials: flags.transport.logTo(logger).channel(),
      periodMs: PERIOD_MS,
      logger,
    });
    const server = createMonitorServer(feed, logger, flags.host);
    const start = async () => {
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
      logger.info({ url: `http://${flags.host}:${port}`, consul: flags.config.consul.address }, 'dashboard serving');
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
