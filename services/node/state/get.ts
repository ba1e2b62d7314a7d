import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { GetRequest, GetResponse } from '../../../gen/shoal/v1/state';
import { DomainError } from '../../../common/errors/DomainError';
import { checkKey } from './limits';
import { readSite, untilAcknowledged } from './readMode';
import type { StateDeps } from './server';
import { answerBy } from './write';

/**
 * Reads a key at the request's consistency (readMode.ts). With min_position, first waits to
 * have applied it: until just before the deadline (then UNAVAILABLE, so the caller can read
 * elsewhere), or until the caller leaves or the node drains (the signal's reason). On the
 * primary, a key whose latest write is not yet acknowledged waits for its acks first.
 */
export async function get(
  deps: Pick<StateDeps, 'identity' | 'replication' | 'membership' | 'sync'>,
  request: GetRequest,
  call: ServerUnaryCall<GetRequest, GetResponse>,
  signal: AbortSignal,
): Promise<GetResponse> {
  checkKey(request.key);
  const deadlineMs = answerBy(call, deps.sync.ackTimeout);
  const { r, writer, mayBeStale } = await readSite(deps, request.consistency, 'read', deadlineMs, signal);
  if (request.minPosition > r.store.lastPosition) {
    const wait = AbortSignal.timeout(Math.max(0, deadlineMs - Date.now()));
    const reached = await r.feed.waitFor(request.minPosition, AbortSignal.any([wait, signal]));
    if (!reached) {
      if (signal.aborted) throw signal.reason;
      throw new DomainError(
        'unavailable',
        `${deps.identity.id} has applied up to position ${r.store.lastPosition}, not yet min_position ${request.minPosition}; retry, or read from the primary`,
      );
    }
  }
  if (writer) await untilAcknowledged(writer, () => writer.unacknowledged([request.key]), `key "${request.key}"`, deadlineMs, signal);
  const stored = r.store.stored(request.key);
  const found = stored !== undefined && !stored.deleted;
  return {
    found,
    value: found ? stored.value : Buffer.alloc(0),
    version: found ? stored.version : 0,
    position: writer ? writer.acks.acknowledged : r.store.lastPosition,
    term: r.term,
    nodeId: deps.identity.id,
    mayBeStale,
  };
}
