// Entry point of a shoal node. The gRPC instrumentation must be the first import: it patches
// @grpc/grpc-js as that is loaded.
import '../../common/telemetry/instrumentGrpc';
import { SHOAL_VERSION } from '../../common/cluster/version';
import { runMain } from '../../common/process/runMain';
import { createLogger } from '../../common/telemetry/createLogger';
import { startTracing } from '../../common/telemetry/startTracing';
import { Node } from './Node';
import { NODE_HELP, parseNodeFlags } from './nodeFlags';

// The logger exists before the node (the node logs through it); each line reads the role the
// node plays at that moment.
let node: Node | undefined;

runMain({
  name: 'shoal-node',
  help: NODE_HELP,
  parseFlags: (argv) => parseNodeFlags(argv),
  startTracing: (flags) =>
    startTracing({ serviceName: 'shoal-node', instanceId: flags.id, version: SHOAL_VERSION, attributes: { 'shoal.cluster': flags.config.name } }),
  logger: (flags) => createLogger({ node_id: flags.id, cluster: flags.config.name }, () => ({ role: node?.role ?? flags.role })),
  create: (flags, logger, fail) => {
    const n = new Node({ ...flags, logger, onFatal: (err) => fail('cannot run this node', err) });
    node = n;
    return {
      start: () => n.start(),
      stop: () => n.stop(),
      stopOnFatal: () => n.stop(0),
      interrupted: 'finishing the drain',
      startFailed: 'node failed to start',
    };
  },
});
