import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { RestartRequest, RestartResponse } from '../../gen/shoal/v1/scale';
import { invalidArgument } from '../../common/grpc/ServerError';
import { leaderAction } from './leaderAction';
import type { ScaleContext } from './ScaleContext';

export function restart(ctx: ScaleContext, request: RestartRequest, call: ServerUnaryCall<RestartRequest, RestartResponse>): Promise<RestartResponse> {
  return leaderAction(ctx, 'Restart', call, async () => {
    if (!request.nodeId) throw invalidArgument('node_id is required');
    return { steps: await ctx.reconciler.restart(request.nodeId) };
  });
}
