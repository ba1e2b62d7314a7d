// Entry point of a shoal node. The gRPC instrumentation must be the first import: it patches
// @grpc/grpc-js as that is loaded.
import '../../common/telemetry/instrumentGrpc';
import { ConfigError } from '../../common/config/ConfigError';
import { SHOAL_VERSION } from '../../common/cluster/version';
import { createLogger } from '../../common/telemetry/createLogger';
import { startTracing } from '../../common/telemetry/startTracing';
import { Node } from './Node';
import { NODE_HELP, type NodeFlags, parseNodeFlags } from './nodeFlags';

async function main(): Promise<void> {
  let flags: NodeFlags | undefined;
  try {
    flags = parseNodeFlags(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`shoal-node: ${err.message}\nRun with --help for usage.\n`);
    process.exit(2);
  }
  if (!flags) {
    process.stdout.write(NODE_HELP + '\n');
    return;
  }
  const stopTracing = startTracing({
    serviceName: 'shoal-node',
    instanceId: flags.id,
    version: SHOAL_VERSION,
    attributes: { 'shoal.cluster': flags.config.name },
  });
  // The logger exists before the node (the node logs through it); each line reads the role the
  // node plays at that moment.
  const running: { node?: Node } = {};
  const logger = createLogger({ node_id: flags.id, cluster: flags.config.name }, () => ({ role: running.node?.role ?? flags.role }));
  const exit = async (code: number) => {
    await stopTracing().catch(() => undefined);
    logger.flush();
    process.exit(code);
  };
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    void exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled promise rejection');
    void exit(1);
  });

  const node = new Node({
    ...flags,
    logger,
    onFatal: (err) => {
      logger.fatal({ err: err.message }, 'cannot run this node');
      void node.stop(0).then(() => exit(1));
    },
  });
  running.node = node;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without finishing the drain');
      void exit(1);
      return;
    }
    logger.info({ signal }, 'stopping');
    void node.stop().then(() => exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await node.start();
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'node failed to start');
    await exit(1);
  }
}

void main();
