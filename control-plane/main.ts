// Entry point of a shoal control-plane instance. The gRPC instrumentation must be the first
// import: it patches @grpc/grpc-js as that is loaded.
import '../common/telemetry/instrumentGrpc';
import { SHOAL_VERSION } from '../common/cluster/version';
import { runMain } from '../common/process/runMain';
import { createLogger } from '../common/telemetry/createLogger';
import { startTracing } from '../common/telemetry/startTracing';
import { ControlPlane } from './ControlPlane';
import { CONTROL_PLANE_HELP, parseControlPlaneFlags } from './controlPlaneFlags';

runMain({
  name: 'shoal-control-plane',
  help: CONTROL_PLANE_HELP,
  parseFlags: (argv) => parseControlPlaneFlags(argv),
  startTracing: (flags) =>
    startTracing({ serviceName: 'shoal-control-plane', instanceId: flags.id, version: SHOAL_VERSION, attributes: { 'shoal.cluster': flags.config.name } }),
  logger: (flags) => createLogger({ control_plane_id: flags.id, cluster: flags.config.name }),
  create: (flags, logger) => {
    const controlPlane = new ControlPlane({ ...flags, logger });
    // Stopping releases the lock, so a standby takes over without waiting for our check to fail.
    return {
      start: () => controlPlane.start(),
      stop: () => controlPlane.stop(),
      interrupted: 'releasing the lock',
      startFailed: 'control plane failed to start',
    };
  },
});
