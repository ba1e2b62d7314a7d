// Entry point of a shoal control-plane instance. The gRPC instrumentation must be the first
// import: it patches @grpc/grpc-js as that is loaded.
import '../common/telemetry/instrumentGrpc';
import { ConfigError } from '../common/config/ConfigError';
import { SHOAL_VERSION } from '../common/cluster/version';
import { createLogger } from '../common/telemetry/createLogger';
import { routeGrpcLogs } from '../common/telemetry/routeGrpcLogs';
import { startTracing } from '../common/telemetry/startTracing';
import { ControlPlane } from './ControlPlane';
import { CONTROL_PLANE_HELP, type ControlPlaneFlags, parseControlPlaneFlags } from './controlPlaneFlags';

function main(): void {
  let flags: ControlPlaneFlags | undefined;
  let stopTracing: () => Promise<void>;
  try {
    flags = parseControlPlaneFlags(process.argv.slice(2));
    if (!flags) {
      process.stdout.write(CONTROL_PLANE_HELP + '\n');
      return;
    }
    stopTracing = startTracing({ serviceName: 'shoal-control-plane', instanceId: flags.id, version: SHOAL_VERSION, attributes: { 'shoal.cluster': flags.config.name } });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`shoal-control-plane: ${err.message}\nRun with --help for usage.\n`);
    process.exit(2);
  }
  const logger = createLogger({ control_plane_id: flags.id, cluster: flags.config.name });
  routeGrpcLogs(logger);
  const exit = async (code: number) => {
    await stopTracing().catch(() => undefined);
    logger.flush();
    process.exit(code);
  };
  const controlPlane = new ControlPlane({ ...flags, logger });
  const fail = (msg: string, err: unknown) => {
    logger.fatal({ err: err instanceof Error ? err.message : err, stack: err instanceof Error ? err.stack : undefined }, msg);
    // Releasing the lock lets a standby take over without waiting for our check to fail.
    setTimeout(() => process.exit(1), 3000).unref();
    void controlPlane.stop().finally(() => exit(1));
  };
  process.on('uncaughtException', (err) => fail('uncaught exception', err));
  process.on('unhandledRejection', (err) => fail('unhandled promise rejection', err));
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting at once');
      void exit(1);
      return;
    }
    logger.info({ signal }, 'stopping');
    void controlPlane.stop().then(() => exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  controlPlane.start().catch((err: unknown) => fail('control plane failed to start', err));
}

main();
