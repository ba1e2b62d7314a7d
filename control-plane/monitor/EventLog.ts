import type { EventView } from './dashboardView';

/**
 * The control plane's events a page is shown: in time order, each once, the newest `capacity`.
 * Each reconnect replays the decision log, so most arrivals are repeats: a repeat, or an event
 * older than everything kept once the log is full, is not news.
 */
export class EventLog {
  private readonly events: EventView[] = [];
  private readonly keys = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Keeps `e`; false when it is a repeat or too old to keep. */
  add(e: EventView): boolean {
    if (this.keys.has(e.key) || (this.events.length >= this.capacity && e.atMs < this.events[0].atMs)) return false;
    this.keys.add(e.key);
    let i = this.events.length;
    while (i > 0 && this.events[i - 1].atMs > e.atMs) i--;
    this.events.splice(i, 0, e);
    while (this.events.length > this.capacity) this.keys.delete(this.events.shift()!.key);
    return true;
  }

  /** Oldest first. */
  all(): EventView[] {
    return [...this.events];
  }
}
