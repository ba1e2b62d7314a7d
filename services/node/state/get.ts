import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { GetRequest, GetResponse } from '../../../gen/shoal/v1/state';
import { unavailable } from '../../../common/grpc/ServerError';
import type { NodeContext } from '../NodeContext';
import { stateOf } from '../sync/primaryRedirect';
import { checkKey } from './limits';
import { answerBy } from './write';

/** Reads from this node; with min_position, first waits (until the deadline) to have applied it. */
export async function get(ctx: NodeContext, request: GetRequest, call: ServerUnaryCall<GetRequest, GetResponse>): Promise<GetResponse> {
  checkKey(request.key);
  const r = stateOf(ctx, 'a read');
  if (request.minPosition > r.store.lastPosition) {
    const wait = AbortSignal.timeout(Math.max(0, answerBy(call, ctx.sync.ackTimeout) - Date.now()));
    const reached = await r.feed.waitFor(request.minPosition, AbortSignal.any([wait, ctx.lifecycle.drainSignal]));
    if (!reached) {
      throw unavailable(`${ctx.identity.id} has applied up to position ${r.store.lastPosition}, not yet min_position ${request.minPosition}; retry, or read from the primary`);
    }
  }
  const stored = r.store.stored(request.key);
  const found = stored !== undefined && !stored.deleted;
  return { found, value: found ? stored.value : Buffer.alloc(0), version: found ? stored.version : 0, position: r.store.lastPosition };
}
