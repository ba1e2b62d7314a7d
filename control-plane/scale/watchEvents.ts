import type { ServerWritableStream } from '@grpc/grpc-js';
import type { ClusterEvent, WatchEventsRequest, WatchEventsResponse } from '../../gen/shoal/v1/scale';
import { invalidArgument } from '../../common/grpc/ServerError';
import { writeWithBackpressure } from '../../common/grpc/writeWithBackpressure';

/** Where WatchEvents reads: this instance's journal, and the decision log in Consul. */
export interface WatchEventsDeps {
  journal: { subscribe(listener: (e: ClusterEvent) => void): () => void; recent(): ClusterEvent[] };
  decisionLog: { read(): Promise<ClusterEvent[]> };
}

const DEFAULT_HISTORY = 50;
const MAX_HISTORY = 1000;

/**
 * The last `history` decisions from Consul's decision log (every instance's, so a standby that
 * took over shows what the old leader did), then every event of this instance as it happens.
 */
export async function watchEvents(
  ctx: WatchEventsDeps,
  request: WatchEventsRequest,
  call: ServerWritableStream<WatchEventsRequest, WatchEventsResponse>,
  cancelled: AbortSignal,
): Promise<void> {
  if (request.history > MAX_HISTORY) throw invalidArgument(`history must be at most ${MAX_HISTORY}, got ${request.history}`);
  const history = request.history || DEFAULT_HISTORY;
  // Subscribe first, so nothing falls between the history and the live events.
  const live: ClusterEvent[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = ctx.journal.subscribe((e) => {
    live.push(e);
    wake?.();
  });
  cancelled.addEventListener('abort', () => wake?.(), { once: true });
  try {
    const past = await ctx.decisionLog.read().catch(() => ctx.journal.recent().filter((e) => e.decision));
    for (const event of past.slice(-history)) await writeWithBackpressure(call, { event, replayed: true }, cancelled);
    while (!cancelled.aborted) {
      const event = live.shift();
      if (event) {
        await writeWithBackpressure(call, { event, replayed: false }, cancelled);
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    unsubscribe();
  }
}
