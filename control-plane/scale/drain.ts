import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { DrainRequest, DrainResponse } from '../../gen/shoal/v1/scale';
import { invalidArgument } from '../../common/grpc/ServerError';
import { type LeaderGate, leaderAction } from './leaderAction';

/** What Drain needs: the leader check, and the reconciler that drains. */
export interface DrainDeps extends LeaderGate {
  reconciler: { drain(id: string): Promise<string[]> };
}

export function drain(ctx: DrainDeps, request: DrainRequest, call: ServerUnaryCall<DrainRequest, DrainResponse>): Promise<DrainResponse> {
  return leaderAction(ctx, 'Drain', call, async () => {
    if (!request.nodeId) throw invalidArgument('node_id is required');
    return { steps: await ctx.reconciler.drain(request.nodeId) };
  });
}
