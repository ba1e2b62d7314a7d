/**
 * Batches the leadership confirmations of linearizable reads, as etcd's read index does: one
 * round in flight at a time, and every read that arrives while it runs waits for the next one
 * (the round in flight may have started before the read arrived, so it proves nothing about
 * it). Many concurrent reads share one round.
 */
export class ReadIndex {
  private current: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  /** @param round one confirmation: resolves when a quorum confirmed this node is still primary in its term, rejects otherwise. */
  constructor(private readonly round: () => Promise<void>) {}

  /** Resolves once a round that began after this call confirmed the primary; rejects with that round's error. */
  confirm(): Promise<void> {
    if (this.queued) return this.queued;
    if (this.current) {
      const settled = () => undefined;
      this.queued = this.current.then(settled, settled).then(() => {
        this.queued = undefined;
        return this.begin();
      });
      return this.queued;
    }
    return this.begin();
  }

  private begin(): Promise<void> {
    const p = this.round();
    this.current = p;
    const clear = () => {
      if (this.current === p) this.current = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}
