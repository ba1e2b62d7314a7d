import { type ServerWritableStream, status } from '@grpc/grpc-js';
import { ChangeKind, type WatchRequest, type WatchResponse } from '../../../gen/shoal/v1/state';
import { ServerError, unavailable } from '../../../common/grpc/ServerError';
import { writeWithBackpressure } from '../../../common/grpc/writeWithBackpressure';
import { isSystemKey } from '../store/systemKeys';
import { checkPrefix } from './limits';
import { modeOf, readSite, untilAcknowledged } from './readMode';
import type { StateDeps } from './server';

/** Log entries read per step while catching up. */
const STEP = 256;

/**
 * A snapshot of the keys under the prefix (or, with from_position, none: the changes after it),
 * then every change in log order, read from the log behind a cursor. On the primary only what
 * is acknowledged: the snapshot waits for the prefix's pending acks, and changes are sent once
 * the acknowledged position passes them. On a replica (stale) what it has applied. The stream
 * ends UNAVAILABLE, naming the position to resume from, when this primary's term ends here or
 * its lease runs out; OUT_OF_RANGE when the log from the cursor is no longer retained.
 */
export async function watch(
  deps: Pick<StateDeps, 'identity' | 'replication' | 'membership' | 'lifecycle' | 'sync'>,
  request: WatchRequest,
  call: ServerWritableStream<WatchRequest, WatchResponse>,
  cancelled: AbortSignal,
): Promise<void> {
  checkPrefix(request.prefix);
  const deadlineMs = Date.now() + deps.sync.ackTimeout;
  const { r, writer } = await readSite(deps, request.consistency, 'watch', deadlineMs, cancelled);
  // A stale watch on a primary does not need its lease; default and consistent ones end with it.
  const leased = writer !== undefined && modeOf(request.consistency) !== 'stale';
  const ended = AbortSignal.any([cancelled, deps.lifecycle.drainSignal]);
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  let reset = false;
  let closed: string | undefined;
  const offs = [
    writer ? writer.acks.onAdvance(poke) : r.feed.onEntries(poke),
    r.feed.onReset(() => ((reset = true), poke())),
    writer ? writer.acks.onClose((reason) => ((closed = reason), poke())) : () => undefined,
  ];
  ended.addEventListener('abort', poke);
  // A primary rechecks its lease this often while idle: a watch must not outlive it unseen.
  const leaseCheck = leased ? setInterval(poke, Math.max(50, deps.sync.primaryLease / 4)) : undefined;
  const send = (message: WatchResponse) => writeWithBackpressure(call, message, ended);
  try {
    let cursor = request.fromPosition;
    if (cursor === 0) {
      if (writer) await untilAcknowledged(writer, () => writer.unacknowledgedUnder(request.prefix), `a key under "${request.prefix}"`, deadlineMs, ended);
      cursor = r.store.lastPosition;
      const entries = r.store.listAll(request.prefix).map((s) => ({ key: s.key, value: s.value, version: s.version, position: s.position }));
      await send({ position: cursor, event: { $case: 'snapshot', value: { entries } } });
    } else if (writer && cursor > r.store.lastPosition) {
      throw new ServerError(
        status.OUT_OF_RANGE,
        `from_position ${cursor} is past this primary's log (it ends at ${r.store.lastPosition}); watch afresh (from_position 0)`,
      );
    }
    for (;;) {
      if (cancelled.aborted) return;
      const resume = `; watch again with from_position ${cursor} to resume`;
      if (deps.lifecycle.drainSignal.aborted) throw unavailable(`node is shutting down${resume} on another node`);
      if (closed !== undefined) throw unavailable(`the primary changed (${closed})${resume} on the new primary`);
      // What a replica applied is not all acknowledged: once it is the primary, its feed would show that.
      if (!writer && r.role === 'primary') throw unavailable(`${deps.identity.id} became the primary${resume}`);
      if (leased && !r.leaseHeld) throw unavailable(`primary ${deps.identity.id} lost its lease (sync.primaryLease)${resume}, on the primary`);
      if (reset) throw unavailable('this node replaced its state from a snapshot; watch again (from_position 0) for a fresh one');
      const upTo = writer ? writer.acks.acknowledged : r.store.lastPosition;
      if (cursor >= upTo) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const entries = r.feed.since(cursor + 1, Math.min(STEP, upTo - cursor));
      if (entries[0]?.position !== cursor + 1) {
        throw new ServerError(
          status.OUT_OF_RANGE,
          `the log after position ${cursor} is no longer retained here (sync.retainEntries); watch afresh (from_position 0) for a new snapshot`,
        );
      }
      for (const e of entries) {
        if (e.position > upTo) break;
        cursor = e.position;
        if (!e.key.startsWith(request.prefix) || isSystemKey(e.key)) continue;
        const kind = e.op === 'put' ? ChangeKind.CHANGE_KIND_PUT : ChangeKind.CHANGE_KIND_DELETE;
        await send({
          position: e.position,
          event: { $case: 'change', value: { kind, entry: { key: e.key, value: e.value, version: e.version, position: e.position } } },
        });
      }
    }
  } finally {
    for (const off of offs) off();
    ended.removeEventListener('abort', poke);
    clearInterval(leaseCheck);
  }
}
