import type { EventType, HistoryEvent, KeyValue, OpKind } from './event';

/** One operation of a history: its invoke and completion together. */
export interface Operation {
  id: number;
  client: string;
  op: OpKind;
  key: string;
  /** As HistoryEvent.value: what a write sets, what a read got (a read without ok: undefined). */
  value?: KeyValue;
  expected?: { version: number; value: KeyValue };
  /** An invoke with no completion in the history counts as unknown. */
  outcome: Exclude<EventType, 'invoke'>;
  startMs: number;
  /** When the answer came. An unknown operation may still take effect after it: see effectEndMs. */
  endMs: number;
  node?: string;
  term?: number;
  position?: number;
  version?: number;
  error?: string;
}

/** The operation's effect lies between its start and this: its end when acknowledged, else never bounded. */
export function effectEndMs(o: Operation): number {
  return o.outcome === 'ok' ? o.endMs : Infinity;
}

/** write, cas and delete: the operations that may change a key. */
export function mutates(o: Operation): boolean {
  return o.op !== 'read';
}

/**
 * Pairs each invoke with its completion, in invoke order. Throws on a completion without an
 * invoke or an id used twice: such a history was not written by a HistoryRecorder.
 */
export function operations(history: readonly HistoryEvent[]): Operation[] {
  const open = new Map<number, HistoryEvent>();
  const seen = new Set<number>();
  const done: Operation[] = [];
  const operation = (invoke: HistoryEvent, outcome: Operation['outcome'], end: Partial<HistoryEvent> & { timeMs: number }): Operation => ({
    id: invoke.id,
    client: invoke.client,
    op: invoke.op,
    key: invoke.key,
    value: invoke.op === 'read' ? (outcome === 'ok' ? end.value : undefined) : invoke.value,
    expected: invoke.expected,
    outcome,
    startMs: invoke.timeMs,
    endMs: end.timeMs,
    node: end.node,
    term: end.term,
    position: end.position,
    version: end.version,
    error: end.error,
  });
  for (const e of history) {
    if (e.type === 'invoke') {
      if (seen.has(e.id)) throw new Error(`operation ${e.id} is invoked twice in the history`);
      seen.add(e.id);
      open.set(e.id, e);
      continue;
    }
    const invoke = open.get(e.id);
    if (!invoke) throw new Error(`operation ${e.id} completes (${e.type}) without an invoke in the history`);
    open.delete(e.id);
    done.push(operation(invoke, e.type, e));
  }
  for (const invoke of open.values()) done.push(operation(invoke, 'unknown', { timeMs: Infinity, error: 'no completion in the history' }));
  return done.sort((a, b) => a.startMs - b.startMs || a.id - b.id);
}

/** Adds `o` to the list `groups` keeps under `key`. */
export function groupInto<K>(groups: Map<K, Operation[]>, key: K, o: Operation): void {
  const list = groups.get(key);
  if (list) list.push(o);
  else groups.set(key, [o]);
}

/**
 * The history that `ops` make, in time order: the inverse of operations(). An unknown operation
 * whose end is not finite gets no completion. For histories written by hand or changed on
 * purpose (a checker's tests).
 */
export function historyOf(ops: readonly Operation[]): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (const o of ops) {
    const shared = { id: o.id, client: o.client, op: o.op, key: o.key, expected: o.expected };
    events.push({ ...shared, type: 'invoke', value: o.op === 'read' ? undefined : o.value, timeMs: o.startMs });
    if (Number.isFinite(o.endMs))
      events.push({
        ...shared,
        type: o.outcome,
        value: o.value,
        timeMs: o.endMs,
        node: o.node,
        term: o.term,
        position: o.position,
        version: o.version,
        error: o.error,
      });
  }
  // An invoke goes before a completion at the same instant, so each pairs with its own.
  return events.sort((a, b) => a.timeMs - b.timeMs || Number(b.type === 'invoke') - Number(a.type === 'invoke'));
}
