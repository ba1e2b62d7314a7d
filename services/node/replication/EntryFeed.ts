import { EventEmitter } from 'node:events';
import type { StateStore } from '../store/StateStore';
import type { Entry } from '../store/types';

/**
 * How much of the recent log is kept in memory for replication streams and watchers: this many
 * entries, and no more than this many bytes of keys and values (one value can be 1 MiB, so a
 * count alone could hold 20 GiB). Past either, up to half again is let through before the oldest
 * are dropped at once; older entries are read from the store's log.
 */
const RECENT = 20_000;
const RECENT_BYTES = 64 * 1024 * 1024;

const sizeOf = (e: Entry) => e.key.length + e.value.length;

/**
 * Entries as they are applied on this node (the primary's writes, a replica's replicated
 * entries), in log order: replication streams and State.Watch follow it. Recent entries come
 * from memory; older ones from the store's log.
 */
export class EntryFeed {
  private readonly events = new EventEmitter();
  private recent: Entry[] = [];
  private recentBytes = 0;
  private waiters = 0;

  constructor(private readonly store: StateStore) {
    this.events.setMaxListeners(0);
  }

  /** Called after entries are committed. */
  publish(entries: Entry[]): void {
    if (entries.length === 0) return;
    this.recent.push(...entries);
    for (const e of entries) this.recentBytes += sizeOf(e);
    if (this.recent.length > RECENT * 1.5 || this.recentBytes > RECENT_BYTES * 1.5) this.trim();
    this.events.emit('entries', entries);
  }

  /** Bytes of keys and values held in memory (at most 1.5 × 64 MiB). */
  get heldBytes(): number {
    return this.recentBytes;
  }

  /** Drops the oldest entries until at most RECENT of them, of at most RECENT_BYTES, are left. */
  private trim(): void {
    let drop = Math.max(0, this.recent.length - RECENT);
    let bytes = this.recentBytes;
    for (let i = 0; i < drop; i++) bytes -= sizeOf(this.recent[i]);
    while (bytes > RECENT_BYTES && drop < this.recent.length) bytes -= sizeOf(this.recent[drop++]);
    this.recent = this.recent.slice(drop);
    this.recentBytes = bytes;
  }

  /** Called when the store was replaced (snapshot, wipe): nothing recent is valid any more. */
  reset(): void {
    this.recent = [];
    this.recentBytes = 0;
    this.events.emit('reset');
  }

  /**
   * Up to `limit` entries from `from` on. Fewer or none when the log ends; the first returned
   * entry is after `from` when the log was truncated past it (the caller needs a snapshot).
   */
  since(from: number, limit: number): Entry[] {
    const first = this.recent[0]?.position;
    if (first !== undefined && from >= first) {
      const start = from - first;
      return this.recent.slice(start, start + limit);
    }
    return this.store.readEntries(from, limit);
  }

  /** Calls `listener` with every batch applied from now on; returns the unsubscribe function. */
  onEntries(listener: (entries: Entry[]) => void): () => void {
    this.events.on('entries', listener);
    return () => this.events.off('entries', listener);
  }

  onReset(listener: () => void): () => void {
    this.events.on('reset', listener);
    return () => this.events.off('reset', listener);
  }

  /** Calls of `waitFor` still waiting. */
  get waiting(): number {
    return this.waiters;
  }

  /** Resolves when an entry at or past `position` is applied, or `signal` aborts (false). */
  waitFor(position: number, signal: AbortSignal): Promise<boolean> {
    if (this.store.lastPosition >= position) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    this.waiters += 1;
    return new Promise((resolve) => {
      const check = () => {
        if (this.store.lastPosition >= position) done(true);
      };
      const done = (reached: boolean) => {
        this.waiters -= 1;
        this.events.off('entries', check);
        this.events.off('reset', check);
        signal.removeEventListener('abort', onAbort);
        resolve(reached);
      };
      const onAbort = () => done(false);
      this.events.on('entries', check);
      this.events.on('reset', check);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
