import { readLeader } from '../cluster/leaderRecord';
import type { ConsulApi } from '../consul/ConsulApi';
import { Backoff } from '../net/Backoff';

/** How long Consul may hold one blocking read of the leader record. */
const BLOCKING_WAIT = '10s';
/** A blocking read that Consul has not answered by then is abandoned and made again. */
const BLOCKING_TIMEOUT_MS = 15_000;

export interface LeaderFollowerOptions {
  consul: ConsulApi;
  cluster: string;
  /** Told of the primary's address each time the record names one (the first read included). */
  onPrimary: (address: string) => void;
}

/**
 * Follows `shoal/<cluster>/leader` with Consul blocking queries, so a long-lived client hears of
 * a new primary as soon as the record changes rather than when a call to the old one fails. A
 * failed read retries with backoff (200 ms to 2 s); `stop()` cancels the read in flight.
 */
export class LeaderFollower {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: LeaderFollowerOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { consul, cluster, onPrimary } = this.opts;
    const signal = this.stopping.signal;
    const backoff = new Backoff({ initialMs: 200, maxMs: 2000 });
    let index: string | undefined;
    while (!signal.aborted) {
      try {
        const read = await readLeader(consul, cluster, { index, wait: BLOCKING_WAIT, timeoutMs: BLOCKING_TIMEOUT_MS, signal });
        backoff.reset();
        // An index that went backwards (Consul lost its data) starts over with a plain read.
        index = Number(read.index) < Number(index ?? 0) ? undefined : read.index;
        if (read.record?.primaryAddress && !signal.aborted) onPrimary(read.record.primaryAddress);
      } catch {
        if (signal.aborted) return;
        index = undefined;
        await backoff.wait(signal);
      }
    }
  }
}
