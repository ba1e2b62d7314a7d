import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { ForgetRequest, ForgetResponse } from '../../gen/shoal/v1/scale';
import { invalidArgument } from '../../common/grpc/ServerError';
import { type LeaderGate, leaderAction } from './leaderAction';

/** What Forget needs: the leader check, and the reconciler that forgets. */
export interface ForgetDeps extends LeaderGate {
  reconciler: { forget(id: string): Promise<string[]> };
}

/** An operator's word that a node's unreachable host is gone: see OperatorActions.forget. */
export function forget(ctx: ForgetDeps, request: ForgetRequest, call: ServerUnaryCall<ForgetRequest, ForgetResponse>): Promise<ForgetResponse> {
  return leaderAction(ctx, 'Forget', call, async () => {
    if (!request.nodeId) throw invalidArgument('node_id is required');
    return { steps: await ctx.reconciler.forget(request.nodeId) };
  });
}
