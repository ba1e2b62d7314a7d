// Entry point of a shoal node. The gRPC instrumentation must be the first import: it patches
// @grpc/grpc-js as that is loaded.
import '../../common/telemetry/instrumentGrpc';
import { ConfigError } from '../../common/config/ConfigError';
import { SHOAL_VERSION } from '../../common/cluster/version';
import { createLogger } from '../../common/telemetry/createLogger';
import { routeGrpcLogs } from '../../common/telemetry/routeGrpcLogs';
import { startTracing } from '../../common/telemetry/startTracing';
import { superviseProcess } from '../../common/process/superviseProcess';
import { Node } from './Node';
import { NODE_HELP, type NodeFlags, parseNodeFlags } from './nodeFlags';

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
  const node: Node = new Node({ ...flags, logger, onFatal: (err) => fail('cannot run this node', err) });
  running.node = node;
  const fail = superviseProcess({ logger, stop: () => node.stop(), stopOnFatal: () => node.stop(0), exit, interrupted: 'finishing the drain' });
  node.start().catch((err: unknown) => fail('node failed to start', err));
}

main();
