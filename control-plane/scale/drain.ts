import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { DrainRequest, DrainResponse } from '../../gen/shoal/v1/scale';
import { invalidArgument } from '../../common/grpc/ServerError';
import { leaderAction } from './leaderAction';
import type { ScaleContext } from './ScaleContext';

export function drain(ctx: ScaleContext, request: DrainRequest, call: ServerUnaryCall<DrainRequest, DrainResponse>): Promise<DrainResponse> {
  return leaderAction(ctx, 'Drain', call, async () => {
    if (!request.nodeId) throw invalidArgument('node_id is required');
    return { steps: await ctx.reconciler.drain(request.nodeId) };
  });
}
