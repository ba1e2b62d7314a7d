// Entry point of the shoal monitor: the dashboard on :3000.
import { once } from 'node:events';
import { ConfigError } from '../../common/config/ConfigError';
import { ConsulApi } from '../../common/consul/ConsulApi';
import { superviseProcess } from '../../common/process/superviseProcess';
import { createLogger } from '../../common/telemetry/createLogger';
import { routeGrpcLogs } from '../../common/telemetry/routeGrpcLogs';
import { ClusterFeed } from './ClusterFeed';
import { createMonitorServer } from './MonitorServer';
import { MONITOR_HELP, type MonitorFlags, parseMonitorFlags } from './monitorFlags';

/** How often the control plane sends the cluster's picture, ms: changes show within this. */
const PERIOD_MS = 500;

async function main(): Promise<void> {
  let flags: MonitorFlags | undefined;
  try {
    flags = parseMonitorFlags(process.argv.slice(2));
    if (!flags) {
      process.stdout.write(MONITOR_HELP + '\n');
      return;
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`shoal-monitor: ${err.message}\nRun with --help for usage.\n`);
    process.exit(2);
  }
  const logger = createLogger({ component: 'monitor', cluster: flags.config.name });
  routeGrpcLogs(logger);
  const feed = new ClusterFeed({ consul: new ConsulApi(flags.config.consul.address), cluster: flags.config.name, periodMs: PERIOD_MS, logger });
  const server = createMonitorServer(feed, logger, flags.host);
  superviseProcess({
    logger,
    stop: async () => {
      server.close();
      // Page streams never end on their own.
      server.closeAllConnections();
      await feed.stop();
    },
    exit: (code) => {
      logger.flush();
      process.exit(code);
    },
    interrupted: 'closing the page streams',
  });
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
}

main().catch((err: unknown) => {
  process.stderr.write(`shoal-monitor: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
