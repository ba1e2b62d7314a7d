import type { HealthServer } from '../../../gen/shoal/v1/health';
import { rpcHandlers } from '../../../common/grpc/handlers';
import type { NodeContext } from '../NodeContext';
import { getStatus } from './getStatus';
import { streamStatus } from './streamStatus';

/** What the Health RPCs need: who this node is, its lifecycle, its call counts, its replication figures, the default period and a logger. */
export type HealthDeps = Pick<NodeContext, 'identity' | 'lifecycle' | 'calls' | 'replication' | 'samplePeriodMs' | 'logger'>;

/** shoal.v1.Health: one function per RPC, in the file named after it. */
export function healthServer(ctx: HealthDeps): HealthServer {
  const { unary, serverStream } = rpcHandlers({ logger: ctx.logger, stopping: ctx.lifecycle.drainSignal });
  return {
    getStatus: unary('GetStatus', () => getStatus(ctx)),
    streamStatus: serverStream('StreamStatus', (request, call, cancelled) => streamStatus(ctx, request, call, cancelled)),
  };
}
