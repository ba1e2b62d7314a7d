import type { Entry } from '../store/types';

/**
 * On the primary: each key's latest write that is not yet acknowledged (key → its log position).
 * The store already holds such a write, so a read that touches the key must wait for its acks
 * before answering, or it could show a write that a failover then drops. Positions are added
 * in log order and forgotten as the acknowledged position passes them.
 */
export class PendingKeys {
  private readonly latest = new Map<string, number>();
  /** [position, key] in log order; `head` is the first not yet pruned. */
  private order: [number, string][] = [];
  private head = 0;

  /** Records committed entries (in log order). */
  add(entries: readonly Entry[]): void {
    for (const e of entries) {
      this.latest.set(e.key, e.position);
      this.order.push([e.position, e.key]);
    }
  }

  /** Forgets every write at or before `acknowledged`. */
  prune(acknowledged: number): void {
    while (this.head < this.order.length && this.order[this.head][0] <= acknowledged) {
      const [position, key] = this.order[this.head];
      if (this.latest.get(key) === position) this.latest.delete(key);
      this.head += 1;
    }
    // Drop the pruned part now and then rather than shifting the array on every prune.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  /** The latest unacknowledged position of `key`; 0 when it has none. */
  of(key: string): number {
    return this.latest.get(key) ?? 0;
  }

  /**
   * The latest unacknowledged position of any key under `prefix` after `afterKey` (and up to
   * `throughKey`, when given), in the store's key order (UTF-8 bytes); 0 when none.
   */
  under(prefix: string, afterKey = '', throughKey?: string): number {
    const after = Buffer.from(afterKey, 'utf8');
    const through = throughKey === undefined ? undefined : Buffer.from(throughKey, 'utf8');
    let max = 0;
    for (const [key, position] of this.latest) {
      if (position <= max || !key.startsWith(prefix)) continue;
      const k = Buffer.from(key, 'utf8');
      if (Buffer.compare(k, after) <= 0 || (through && Buffer.compare(k, through) > 0)) continue;
      max = position;
    }
    return max;
  }

  /** Keys with a write not yet acknowledged. */
  get size(): number {
    return this.latest.size;
  }
}
