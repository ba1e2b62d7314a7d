import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventType, HistoryEvent, KeyValue, OpKind } from './event';
import { outcomeOfError } from './outcomeOfError';

/** What an invoke says: the operation, before anything is known of its outcome. */
export interface Invocation {
  client: string;
  op: OpKind;
  key: string;
  value?: KeyValue;
  expected?: { version: number; value: KeyValue };
}

/** What a completion adds: where and how it was answered. */
export type Answer = Pick<HistoryEvent, 'value' | 'node' | 'term' | 'position' | 'version'>;

/** Fractional epoch ms from the monotonic clock: one history's times never go backwards. */
const monotonicNow = (): number => performance.timeOrigin + performance.now();

/**
 * Records the operations of any number of clients as one history (HistoryEvent lines, in the
 * order they happened), for the checkers and for a file a person can read after a failure.
 */
export class HistoryRecorder {
  private readonly events: HistoryEvent[] = [];
  private nextId = 1;

  constructor(private readonly now: () => number = monotonicNow) {}

  /** The history so far. */
  get history(): readonly HistoryEvent[] {
    return this.events;
  }

  /**
   * Records `run`'s invoke, runs it, and records its completion: ok with what `answer` makes of
   * its result, or fail/unknown as outcomeOfError judges its error (which is then rethrown).
   */
  async record<T>(what: Invocation, run: () => Promise<T>, answer: (result: T) => Answer): Promise<T> {
    const invoke: HistoryEvent = { id: this.nextId++, ...what, type: 'invoke', timeMs: this.now() };
    this.events.push(invoke);
    const complete = (type: Exclude<EventType, 'invoke'>, extra: Partial<HistoryEvent>) =>
      this.events.push({ ...invoke, value: what.op === 'read' ? undefined : what.value, ...extra, type, timeMs: this.now() });
    let result: T;
    try {
      result = await run();
    } catch (err) {
      const { outcome, error } = outcomeOfError(what.op, err);
      complete(outcome, { error });
      throw err;
    }
    complete('ok', answer(result));
    return result;
  }

  /** Writes the history to `file` (directories made), one JSON object a line. */
  save(file: string): void {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, this.events.map((e) => JSON.stringify(e)).join('\n') + (this.events.length ? '\n' : ''));
  }
}
