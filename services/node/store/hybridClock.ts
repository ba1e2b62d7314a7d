/** A hybrid logical clock reading: wall-clock ms, and a counter that orders events within one ms. */
export interface HybridTime {
  physicalMs: number;
  logical: number;
}

/** -1, 0 or 1 as a is earlier than, equal to or later than b. */
export function compareHybrid(a: HybridTime, b: HybridTime): number {
  if (a.physicalMs !== b.physicalMs) return a.physicalMs < b.physicalMs ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  return 0;
}

/**
 * A hybrid logical clock (Kulkarni et al.): readings never go backwards even if the wall clock
 * does, stay close to wall-clock time, and move past any reading the node has observed.
 */
export class HybridClock {
  private last: HybridTime = { physicalMs: 0, logical: 0 };

  constructor(private readonly wallMs: () => number = Date.now) {}

  /** A reading later than every earlier reading and every observed one. */
  now(): HybridTime {
    const wall = this.wallMs();
    this.last = wall > this.last.physicalMs ? { physicalMs: wall, logical: 0 } : { physicalMs: this.last.physicalMs, logical: this.last.logical + 1 };
    return this.last;
  }

  /** Moves the clock past a reading seen from another node (e.g. a replicated entry). */
  observe(remote: HybridTime): void {
    if (compareHybrid(remote, this.last) > 0) this.last = remote;
  }
}
