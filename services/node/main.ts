// Entry point of a shoal node. The gRPC instrumentation must be the first import: it patches
// @grpc/grpc-js as that is loaded.
import '../../common/telemetry/instrumentGrpc';
import { ConfigError } from '../../common/config/ConfigError';
import { SHOAL_VERSION } from '../../common/cluster/version';
import { createLogger } from '../../common/telemetry/createLogger';
import { routeGrpcLogs } from '../../common/telemetry/routeGrpcLogs';
import { startTracing } from '../../common/telemetry/startTracing';
import { Node } from './Node';
import { NODE_HELP, type NodeFlags, parseNodeFlags } from './nodeFlags';

/** How long a node that must stop on an error may take to leave Consul before it exits anyway. */
const FATAL_EXIT_MS = 3000;

function main(): void {
  let flags: NodeFlags | undefined;
  let stopTracing: () => Promise<void>;
  try {
    flags = parseNodeFlags(process.argv.slice(2));
    if (!flags) {
      process.stdout.write(NODE_HELP + '\n');
      return;
    }
    stopTracing = startTracing({ serviceName: 'shoal-node', instanceId: flags.id, version: SHOAL_VERSION, attributes: { 'shoal.cluster': flags.config.name } });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`shoal-node: ${err.message}\nRun with --help for usage.\n`);
    process.exit(2);
  }
  const { id, role, config } = flags;

  // The logger exists before the node (the node logs through it); each line reads the role the
  // node plays at that moment.
  const running: { node?: Node } = {};
  const logger = createLogger({ node_id: id, cluster: config.name }, () => ({ role: running.node?.role ?? role }));
  routeGrpcLogs(logger);
  const exit = async (code: number) => {
    await stopTracing().catch(() => undefined);
    logger.flush();
    process.exit(code);
  };
  // On any fatal error the node still leaves Consul (so it does not sit there critical for a
  // minute), but a stop that hangs must not keep a broken process alive.
  const fail = (msg: string, err: unknown) => {
    logger.fatal({ err: err instanceof Error ? err.message : err, stack: err instanceof Error ? err.stack : undefined }, msg);
    setTimeout(() => process.exit(1), FATAL_EXIT_MS).unref();
    void node.stop(0).finally(() => exit(1));
  };

  const node = new Node({ ...flags, logger, onFatal: (err) => fail('cannot run this node', err) });
  running.node = node;
  process.on('uncaughtException', (err) => fail('uncaught exception', err));
  process.on('unhandledRejection', (err) => fail('unhandled promise rejection', err));

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
  node.start().catch((err: unknown) => fail('node failed to start', err));
}

main();
