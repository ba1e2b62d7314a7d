import type { ServerWritableStream } from '@grpc/grpc-js';
import type { WatchMembersRequest, WatchMembersResponse } from '../../../gen/shoal/v1/discovery';
import { unavailable } from '../../../common/grpc/ServerError';
import type { NodeContext } from '../NodeContext';
import type { VersionedChange } from '../membership/MembershipView';

/**
 * A snapshot, then every change in order. Subscribing before taking the snapshot, and
 * skipping changes the snapshot already includes, leaves no gap and no duplicate.
 */
export async function watchMembers(
  ctx: NodeContext,
  call: ServerWritableStream<WatchMembersRequest, WatchMembersResponse>,
  cancelled: AbortSignal,
): Promise<void> {
  const pending: VersionedChange[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = ctx.membership.subscribe((c) => {
    pending.push(c);
    wake?.();
  });
  const stop = () => wake?.();
  cancelled.addEventListener('abort', stop);
  ctx.lifecycle.drainSignal.addEventListener('abort', stop);
  try {
    const snap = ctx.membership.snapshot();
    call.write({ version: snap.version, event: { $case: 'snapshot', value: { members: snap.members, stale: snap.stale } } });
    for (;;) {
      if (cancelled.aborted) return;
      if (ctx.lifecycle.drainSignal.aborted) throw unavailable('node is shutting down; watch another member');
      const next = pending.shift();
      if (!next) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (next.version <= snap.version) continue;
      call.write({ version: next.version, event: { $case: 'change', value: next.change } });
    }
  } finally {
    unsubscribe();
    cancelled.removeEventListener('abort', stop);
    ctx.lifecycle.drainSignal.removeEventListener('abort', stop);
  }
}
