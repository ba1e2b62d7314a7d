import { DomainError } from '../../../common/errors/DomainError';

/** A write waiting for replicas. */
interface Waiter {
  position: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * What each connected replica has applied, on the primary, and the writes waiting until enough
 * replicas have applied them (sync.minAcks).
 */
export class AckTracker {
  private readonly applied = new Map<string, number>();
  /** Which stream of a replica is current: a reconnect replaces the entry of the stream before. */
  private readonly generation = new Map<string, number>();
  private nextGeneration = 1;
  private waiters: Waiter[] = [];
  /** When each recent position was committed, to measure replication lag at ack time. */
  private readonly committedAt = new Map<number, number>();

  constructor(
    private readonly minAcks: number,
    private readonly onLag: (replicaId: string, lagMs: number) => void = () => undefined,
  ) {}

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
    this.applied.set(replicaId, applied);
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

  /**
   * Resolves once minAcks replicas have applied `position`; rejects with AckTimeout at the
   * deadline, or with `signal`'s reason when it aborts first (the caller stopped waiting).
   */
  waitFor(position: number, deadlineMs: number, signal?: AbortSignal): Promise<void> {
    if (this.count(position) >= this.minAcks) return Promise.resolve();
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

  /** Fails every waiting write (the node stopped being primary). */
  failAll(reason: string): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new AckTimeout(reason));
  }

  private count(position: number): number {
    let n = 0;
    for (const applied of this.applied.values()) if (applied >= position) n += 1;
    return n;
  }

  private settle(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.count(w.position) >= this.minAcks) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}

/** A write that could not be acknowledged (deadline, or the primary stepped down): UNAVAILABLE for the client. */
export class AckTimeout extends DomainError {
  constructor(message: string) {
    super('unavailable', message);
    this.name = 'AckTimeout';
  }
}
