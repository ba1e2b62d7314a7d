import { DomainError } from '../../../common/errors/DomainError';

/** A write waiting for replicas. */
interface Waiter {
  position: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * What each connected replica has applied, on the primary, and the writes waiting until enough
 * replicas have applied them (sync.minAcks). The acknowledged position (what a failover keeps:
 * minAcks replicas have applied it) only grows; reads on the primary show nothing past it.
 */
export class AckTracker {
  private readonly applied = new Map<string, number>();
  /** Which stream of a replica is current: a reconnect replaces the entry of the stream before. */
  private readonly generation = new Map<string, number>();
  private nextGeneration = 1;
  private waiters: Waiter[] = [];
  /** When each recent position was committed, to measure replication lag at ack time. */
  private readonly committedAt = new Map<number, number>();
  private lastCommitted: number;
  private acked: number;
  /** The log's end when this primary's term began (see the constructor). */
  readonly startPosition: number;
  private readonly advanced = new Set<(acknowledged: number) => void>();
  private readonly closed = new Set<(reason: string) => void>();
  private closedReason: string | undefined;

  /**
   * @param startPosition the log's end when this primary's term began. What it inherited counts
   *   as acknowledged only once minAcks replicas report holding it (with minAcks 0, at once), as
   *   a Raft leader commits its predecessors' entries only through its own term.
   */
  constructor(
    private readonly minAcks: number,
    private readonly onLag: (replicaId: string, lagMs: number) => void = () => undefined,
    startPosition = 0,
  ) {
    this.startPosition = startPosition;
    this.lastCommitted = startPosition;
    this.acked = minAcks === 0 ? startPosition : 0;
  }

  /** The highest position that minAcks replicas have applied (with minAcks 0: the last committed). Never decreases. */
  get acknowledged(): number {
    return this.acked;
  }

  /** Calls `listener` each time the acknowledged position grows; returns the unsubscribe function. */
  onAdvance(listener: (acknowledged: number) => void): () => void {
    this.advanced.add(listener);
    return () => this.advanced.delete(listener);
  }

  /** Calls `listener` once when this primary's term ends here (failAll); at once if it has. */
  onClose(listener: (reason: string) => void): () => void {
    if (this.closedReason !== undefined) {
      listener(this.closedReason);
      return () => undefined;
    }
    this.closed.add(listener);
    return () => this.closed.delete(listener);
  }

  /** Why the term ended here, once it has (failAll). */
  get closedBecause(): string | undefined {
    return this.closedReason;
  }

  get connected(): number {
    return this.applied.size;
  }

  replicas(): { id: string; applied: number }[] {
    return [...this.applied].map(([id, applied]) => ({ id, applied }));
  }

  /** A replica's stream opened; returns the token its disconnect must present. */
  connect(replicaId: string, applied: number): number {
    const token = this.nextGeneration++;
    this.generation.set(replicaId, token);
    this.applied.set(replicaId, Math.min(applied, this.lastCommitted));
    this.settle();
    return token;
  }

  /** A replica's stream closed (ignored if a newer stream of that replica replaced it). */
  disconnect(replicaId: string, token: number): void {
    if (this.generation.get(replicaId) !== token) return;
    this.generation.delete(replicaId);
    this.applied.delete(replicaId);
  }

  committed(position: number): void {
    this.lastCommitted = Math.max(this.lastCommitted, position);
    this.committedAt.set(position, performance.now());
    // Keep the map small: positions are acked in order, old ones are never asked again.
    if (this.committedAt.size > 50_000) {
      const cut = position - 25_000;
      for (const p of this.committedAt.keys()) if (p < cut) this.committedAt.delete(p);
    }
  }

  ack(replicaId: string, position: number): void {
    const before = this.applied.get(replicaId);
    if (before === undefined || position <= before) return;
    this.applied.set(replicaId, position);
    const at = this.committedAt.get(position);
    if (at !== undefined) this.onLag(replicaId, performance.now() - at);
    this.settle();
  }

  /** Writes waiting for acks right now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Calls `committed` for each entry just committed, then moves the acknowledged position (minAcks 0 acknowledges at commit). */
  committedAll(positions: number[]): void {
    for (const p of positions) this.committed(p);
    this.settle();
  }

  /**
   * Resolves once the acknowledged position reaches `position`; rejects with AckTimeout at the
   * deadline (or when the term ends here), or with `signal`'s reason when it aborts first (the
   * caller stopped waiting).
   */
  waitFor(position: number, deadlineMs: number, signal?: AbortSignal): Promise<void> {
    if (this.acked >= position) return Promise.resolve();
    if (this.closedReason !== undefined) return Promise.reject(new AckTimeout(this.closedReason));
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { position, resolve, reject };
      const forget = () => (this.waiters = this.waiters.filter((w) => w !== waiter));
      const timer = setTimeout(
        () => {
          forget();
          signal?.removeEventListener('abort', onAbort);
          const have = this.count(position);
          reject(
            new AckTimeout(`applied on ${have} of the ${this.minAcks} replicas required (sync.minAcks) before the deadline; the write is not acknowledged`),
          );
        },
        Math.max(0, deadlineMs - Date.now()),
      );
      const onAbort = () => {
        forget();
        clearTimeout(timer);
        reject(signal!.reason as Error);
      };
      const settled = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      waiter.resolve = () => (settled(), resolve());
      waiter.reject = (err) => (settled(), reject(err));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Fails every waiting write and ends what follows the acknowledged position (the node stopped being primary). */
  failAll(reason: string): void {
    this.closedReason ??= reason;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new AckTimeout(reason));
    const closed = [...this.closed];
    this.closed.clear();
    for (const listener of closed) listener(reason);
  }

  private count(position: number): number {
    let n = 0;
    for (const applied of this.applied.values()) if (applied >= position) n += 1;
    return n;
  }

  /** The minAcks-th highest applied position: what minAcks replicas all hold. */
  private quorumApplied(): number {
    if (this.minAcks === 0) return this.lastCommitted;
    const sorted = [...this.applied.values()].sort((a, b) => b - a);
    return sorted[this.minAcks - 1] ?? 0;
  }

  private settle(): void {
    if (this.closedReason !== undefined) return;
    const next = Math.min(this.lastCommitted, this.quorumApplied());
    if (next <= this.acked) return;
    this.acked = next;
    if (this.waiters.length > 0) {
      const still: Waiter[] = [];
      for (const w of this.waiters) {
        if (w.position <= next) w.resolve();
        else still.push(w);
      }
      this.waiters = still;
    }
    for (const listener of this.advanced) listener(next);
  }
}

/** A write that could not be acknowledged (deadline, or the primary stepped down): UNAVAILABLE for the client. */
export class AckTimeout extends DomainError {
  constructor(message: string) {
    super('unavailable', message);
    this.name = 'AckTimeout';
  }
}
