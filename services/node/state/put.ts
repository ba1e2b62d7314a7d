import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { PutRequest, PutResponse } from '../../../gen/shoal/v1/state';
import type { NodeContext } from '../NodeContext';
import { checkKey, checkValue } from './limits';
import { write } from './write';

export async function put(ctx: NodeContext, request: PutRequest, call: ServerUnaryCall<PutRequest, PutResponse>): Promise<PutResponse> {
  checkKey(request.key);
  checkValue(request.value);
  const outcome = await write(ctx, call, 'put', request.key, Buffer.from(request.value), request.expectedVersion);
  return { result: { position: outcome.position, term: outcome.term, version: outcome.version } };
}
