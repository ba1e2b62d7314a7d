import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { RestartRequest, RestartResponse } from '../../gen/shoal/v1/scale';
import { invalidArgument } from '../../common/grpc/ServerError';
import { requireToken } from './bearerToken';
import type { ScaleContext } from './ScaleContext';

export async function restart(ctx: ScaleContext, request: RestartRequest, call: ServerUnaryCall<RestartRequest, RestartResponse>): Promise<RestartResponse> {
  requireToken(call.metadata, ctx.token, 'Restart');
  if (!request.nodeId) throw invalidArgument('node_id is required');
  return { steps: await ctx.reconciler.restart(request.nodeId) };
}
