import type { HealthServer } from '../../../gen/shoal/v1/health';
import { rpcHandlers } from '../../../common/grpc/handlers';
import type { NodeContext } from '../NodeContext';
import { getStatus } from './getStatus';
import { streamStatus } from './streamStatus';

/** shoal.v1.Health: one function per RPC, in the file named after it. */
export function healthServer(ctx: NodeContext): HealthServer {
  const { unary, serverStream } = rpcHandlers({ logger: ctx.logger, stopping: ctx.lifecycle.drainSignal });
  return {
    getStatus: unary('GetStatus', () => getStatus(ctx)),
    streamStatus: serverStream('StreamStatus', (request, call, cancelled) => streamStatus(ctx, request, call, cancelled)),
  };
}
