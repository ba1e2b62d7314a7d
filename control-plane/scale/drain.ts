import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { DrainRequest, DrainResponse } from '../../gen/shoal/v1/scale';
import { invalidArgument } from '../../common/grpc/ServerError';
import { requireToken } from './bearerToken';
import type { ScaleContext } from './ScaleContext';

export async function drain(ctx: ScaleContext, request: DrainRequest, call: ServerUnaryCall<DrainRequest, DrainResponse>): Promise<DrainResponse> {
  requireToken(call.metadata, ctx.token, 'Drain');
  if (!request.nodeId) throw invalidArgument('node_id is required');
  return { steps: await ctx.reconciler.drain(request.nodeId) };
}
