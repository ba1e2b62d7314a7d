import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { RestartRequest, RestartResponse } from '../../gen/shoal/v1/scale';
import { invalidArgument } from '../../common/grpc/ServerError';
import { type LeaderGate, leaderAction } from './leaderAction';

/** What Restart needs: the leader check, and the reconciler that restarts. */
export interface RestartDeps extends LeaderGate {
  reconciler: { restart(id: string): Promise<string[]> };
}

export function restart(ctx: RestartDeps, request: RestartRequest, call: ServerUnaryCall<RestartRequest, RestartResponse>): Promise<RestartResponse> {
  return leaderAction(ctx, 'Restart', call, async () => {
    if (!request.nodeId) throw invalidArgument('node_id is required');
    return { steps: await ctx.reconciler.restart(request.nodeId) };
  });
}
