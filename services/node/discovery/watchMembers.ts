import { type ServerWritableStream, status } from '@grpc/grpc-js';
import type { WatchMembersRequest, WatchMembersResponse } from '../../../gen/shoal/v1/discovery';
import { ServerError, unavailable } from '../../../common/grpc/ServerError';
import { writeWithBackpressure } from '../../../common/grpc/writeWithBackpressure';
import type { DiscoveryDeps } from './server';
import type { VersionedChange } from '../membership/MembershipView';

/** Changes a watcher may fall behind by before its stream is ended (it can watch again). */
const MAX_PENDING_CHANGES = 1000;

/**
 * A snapshot, then every change in order. Subscribing before taking the snapshot, and
 * skipping changes the snapshot already includes, leaves no gap and no duplicate.
 */
export async function watchMembers(
  ctx: Pick<DiscoveryDeps, 'membership' | 'lifecycle'>,
  call: ServerWritableStream<WatchMembersRequest, WatchMembersResponse>,
  cancelled: AbortSignal,
): Promise<void> {
  const pending: VersionedChange[] = [];
  let wake: (() => void) | undefined;
  let overflowed = false;
  const unsubscribe = ctx.membership.subscribe((c) => {
    if (pending.length >= MAX_PENDING_CHANGES) overflowed = true;
    else pending.push(c);
    wake?.();
  });
  const ended = AbortSignal.any([cancelled, ctx.lifecycle.drainSignal]);
  const stop = () => wake?.();
  ended.addEventListener('abort', stop);
  try {
    const snap = ctx.membership.snapshot();
    call.write({ version: snap.version, event: { $case: 'snapshot', value: { members: snap.members, stale: snap.stale } } });
    for (;;) {
      if (cancelled.aborted) return;
      if (ctx.lifecycle.drainSignal.aborted) throw unavailable('node is shutting down; watch another member');
      if (overflowed) {
        throw new ServerError(status.RESOURCE_EXHAUSTED, `watcher fell more than ${MAX_PENDING_CHANGES} changes behind; watch again for a fresh snapshot`);
      }
      const next = pending.shift();
      if (!next) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (next.version <= snap.version) continue;
      await writeWithBackpressure(call, { version: next.version, event: { $case: 'change', value: next.change } }, ended);
    }
  } finally {
    unsubscribe();
    ended.removeEventListener('abort', stop);
  }
}
