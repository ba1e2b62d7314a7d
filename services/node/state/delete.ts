import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { DeleteRequest, DeleteResponse } from '../../../gen/shoal/v1/state';
import type { NodeContext } from '../NodeContext';
import { checkKey } from './limits';
import { write } from './write';

export async function deleteKey(ctx: NodeContext, request: DeleteRequest, call: ServerUnaryCall<DeleteRequest, DeleteResponse>): Promise<DeleteResponse> {
  checkKey(request.key);
  const outcome = await write(ctx, call, 'delete', request.key, Buffer.alloc(0), request.expectedVersion);
  return { deleted: outcome.written, result: { position: outcome.position, term: outcome.term, version: outcome.version } };
}
