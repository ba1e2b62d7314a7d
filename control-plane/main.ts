// Entry point of a shoal control-plane instance. The gRPC instrumentation must be the first
// import: it patches @grpc/grpc-js as that is loaded.
import '../common/telemetry/instrumentGrpc';
import { ConfigError } from '../common/config/ConfigError';
import { SHOAL_VERSION } from '../common/cluster/version';
import { createLogger } from '../common/telemetry/createLogger';
import { routeGrpcLogs } from '../common/telemetry/routeGrpcLogs';
import { startTracing } from '../common/telemetry/startTracing';
import { superviseProcess } from '../common/process/superviseProcess';
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
  // Stopping releases the lock, so a standby takes over without waiting for our check to fail.
  const fail = superviseProcess({ logger, stop: () => controlPlane.stop(), exit, interrupted: 'releasing the lock' });
  controlPlane.start().catch((err: unknown) => fail('control plane failed to start', err));
}

main();
