import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { DeleteRequest, DeleteResponse } from '../../../gen/shoal/v1/state';
import { checkKey } from './limits';
import { write, type WriteDeps } from './write';

/** Deletes a key on the primary, as Put writes one; `deleted` is false when it did not exist. */
export async function deleteKey(
  deps: WriteDeps,
  request: DeleteRequest,
  call: ServerUnaryCall<DeleteRequest, DeleteResponse>,
  signal: AbortSignal,
): Promise<DeleteResponse> {
  checkKey(request.key);
  const outcome = await write(deps, call, signal, 'delete', request.key, Buffer.alloc(0), request.expectedVersion);
  return { deleted: outcome.written, result: { position: outcome.position, term: outcome.term, version: outcome.version } };
}
