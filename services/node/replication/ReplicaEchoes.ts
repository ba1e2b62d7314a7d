/**
 * On the primary, for its term: every Replicate message it sends carries a growing sequence,
 * and each replica's ack echoes the highest one it had received. An echo of sequence s proves
 * the replica still followed this primary in its term after s was sent, which is what the lease
 * counts from (sent, not received: a slow answer must not stretch the lease) and what confirms a
 * read index: a round is confirmed once `needed` replicas echo a sequence sent
 * after the round began.
 */
export class ReplicaEchoes {
  private sequence = 0;
  /** When each recent sequence was sent (insertion order is sequence order). */
  private readonly sentAt = new Map<number, number>();
  private readonly echoed = new Map<string, number>();
  private readonly pingers = new Set<() => void>();
  private waiters: { from: number; resolve: () => void }[] = [];
  private readonly now: () => number;

  constructor(
    private readonly opts: {
      /**
       * How many replicas must echo a message sent after a round began to confirm it: enough
       * that no role change can have had its quorum take a newer term meanwhile
       * (RoleChangeQuorum.ts stillPrimaryQuorum).
       */
      needed: number;
      /** Sent times older than this are forgotten: an echo of them could not renew the lease. */
      keepMs: number;
      now?: () => number;
    },
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** The sequence for a message being sent now. */
  stamp(): number {
    const now = this.now();
    this.sequence += 1;
    this.sentAt.set(this.sequence, now);
    for (const [seq, at] of this.sentAt) {
      if (at >= now - this.opts.keepMs || seq === this.sequence) break;
      this.sentAt.delete(seq);
    }
    return this.sequence;
  }

  /** A replica's ack in this term echoed `sequence`; returns when that message was sent, if still known. */
  echo(replicaId: string, sequence: number): number | undefined {
    if (sequence > this.sequence) return undefined;
    if (sequence > (this.echoed.get(replicaId) ?? 0)) {
      this.echoed.set(replicaId, sequence);
      this.settle();
    }
    return this.sentAt.get(sequence);
  }

  /** A stream registers how to send a message at once; returns the unregister function. */
  onPing(ping: () => void): () => void {
    this.pingers.add(ping);
    return () => this.pingers.delete(ping);
  }

  /**
   * One confirmation round: every stream sends a message now, and this resolves once `needed`
   * of the declared replicas have echoed one sent after the round began; rejects with the
   * signal's reason when it aborts first.
   */
  confirm(signal: AbortSignal): Promise<void> {
    const from = this.sequence + 1;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      const waiter = {
        from,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      for (const ping of this.pingers) ping();
    });
  }

  /** How many replicas have echoed a sequence at or after `from`. */
  echoedSince(from: number): number {
    let n = 0;
    for (const seq of this.echoed.values()) if (seq >= from) n += 1;
    return n;
  }

  private settle(): void {
    const { needed } = this.opts;
    const still = [];
    for (const w of this.waiters) {
      if (this.echoedSince(w.from) >= needed) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}
