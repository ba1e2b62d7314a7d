import { pause } from '../time/pause';

/** Exponential backoff with full jitter, for retry loops that must not hammer a dependency. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: { initialMs: number; maxMs: number }) {}

  /** The delay before the next attempt, growing x2 per attempt up to maxMs, jittered to 50–100%. */
  next(): number {
    const ceiling = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** this.attempt);
    this.attempt += 1;
    return Math.round(ceiling * (0.5 + Math.random() / 2));
  }

  reset(): void {
    this.attempt = 0;
  }

  /** Sleeps for `next()` ms; resolves early (without throwing) when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    return pause(this.next(), signal);
  }
}
