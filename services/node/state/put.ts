import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { PutRequest, PutResponse } from '../../../gen/shoal/v1/state';
import { checkKey, checkValue } from './limits';
import { write, type WriteDeps } from './write';

/** Writes a key on the primary; answered once sync.minAcks replicas hold it (see `write`). */
export async function put(deps: WriteDeps, request: PutRequest, call: ServerUnaryCall<PutRequest, PutResponse>, signal: AbortSignal): Promise<PutResponse> {
  checkKey(request.key);
  checkValue(request.value);
  const outcome = await write(deps, call, signal, 'put', request.key, Buffer.from(request.value), request.expectedVersion);
  return { result: { position: outcome.position, term: outcome.term, version: outcome.version } };
}
