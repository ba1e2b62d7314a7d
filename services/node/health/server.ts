import type { HealthServer } from '../../../gen/shoal/v1/health';
import { serverStream, unary } from '../../../common/grpc/handlers';
import type { NodeContext } from '../NodeContext';
import { getStatus } from './getStatus';
import { streamStatus } from './streamStatus';

/** shoal.v1.Health: one function per RPC, in the file named after it. */
export function healthServer(ctx: NodeContext): HealthServer {
  const log = ctx.logger;
  return {
    getStatus: unary(log, 'GetStatus', () => getStatus(ctx)),
    streamStatus: serverStream(log, 'StreamStatus', (request, call, cancelled) => streamStatus(ctx, request, call, cancelled)),
  };
}
