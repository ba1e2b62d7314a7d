import type { ServerWritableStream } from '@grpc/grpc-js';
import { ChangeKind, type WatchRequest, type WatchResponse } from '../../../gen/shoal/v1/state';
import { unavailable } from '../../../common/grpc/ServerError';
import { writeWithBackpressure } from '../../../common/grpc/writeWithBackpressure';
import type { Entry } from '../store/types';
import { readableReplication } from '../sync/primaryRedirect';
import { isSystemKey } from '../store/systemKeys';
import { checkPrefix } from './limits';
import type { StateDeps } from './server';

/** Changes a watcher may fall behind by before its stream is ended (it can watch again). */
const MAX_PENDING = 10_000;

/**
 * A snapshot of the keys under the prefix, then every change in log order. Subscribing before
 * the snapshot and skipping what it already holds leaves no gap and no duplicate.
 */
export async function watch(
  deps: Pick<StateDeps, 'identity' | 'replication' | 'membership' | 'lifecycle'>,
  request: WatchRequest,
  call: ServerWritableStream<WatchRequest, WatchResponse>,
  cancelled: AbortSignal,
): Promise<void> {
  checkPrefix(request.prefix);
  const r = readableReplication(deps, 'a watch');
  const pending: Entry[] = [];
  let problem: string | undefined;
  let wake: (() => void) | undefined;
  const offEntries = r.feed.onEntries((entries) => {
    for (const e of entries) if (e.key.startsWith(request.prefix) && !isSystemKey(e.key)) pending.push(e);
    if (pending.length > MAX_PENDING) problem = `watcher fell more than ${MAX_PENDING} changes behind; watch again`;
    wake?.();
  });
  const offReset = r.feed.onReset(() => {
    problem = 'this node replaced its state from a snapshot; watch again for a fresh one';
    wake?.();
  });
  const ended = AbortSignal.any([cancelled, deps.lifecycle.drainSignal]);
  const stop = () => wake?.();
  ended.addEventListener('abort', stop);
  try {
    const position = r.store.lastPosition;
    const entries = r.store.listAll(request.prefix).map((s) => ({ key: s.key, value: s.value, version: s.version, position: s.position }));
    await writeWithBackpressure(call, { position, event: { $case: 'snapshot', value: { entries } } }, ended);
    for (;;) {
      if (cancelled.aborted) return;
      if (deps.lifecycle.drainSignal.aborted) throw unavailable('node is shutting down; watch another node');
      if (problem) throw unavailable(problem);
      const next = pending.shift();
      if (!next) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (next.position <= position) continue;
      const kind = next.op === 'put' ? ChangeKind.CHANGE_KIND_PUT : ChangeKind.CHANGE_KIND_DELETE;
      await writeWithBackpressure(
        call,
        {
          position: next.position,
          event: { $case: 'change', value: { kind, entry: { key: next.key, value: next.value, version: next.version, position: next.position } } },
        },
        ended,
      );
    }
  } finally {
    offEntries();
    offReset();
    ended.removeEventListener('abort', stop);
  }
}
