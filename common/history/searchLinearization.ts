import type { Operation } from './operations';

/** A sequential specification: what each operation does to a state, or undefined when it cannot happen in it. */
export interface Model<S> {
  initial: S;
  step(state: S, op: Operation): S | undefined;
  /** Equal states have equal keys (for the search's memory of what it has tried). */
  stateKey(state: S): string;
}

export type SearchResult<S> =
  | { kind: 'linearizable'; order: Operation[] }
  | { kind: 'not linearizable'; furthest: { order: Operation[]; blocked: Operation; state: S } }
  | { kind: 'too large'; steps: number };

interface Entry {
  index: number;
  call: boolean;
  time: number;
  prev: Entry | undefined;
  next: Entry | undefined;
  /** A call's return entry; undefined for an operation that may never take effect. */
  match?: Entry;
}

/**
 * Whether some order of `ops` is a history of `model` in which each operation takes effect
 * between its start and its end (Wing & Gong's search with Lowe's memory of (taken set, state)
 * pairs, as Knossos and Porcupine do). An `ok` operation must take effect before it ended; an
 * `unknown` one may take effect at any time after it started, or never. Operations known to have
 * failed must not be given. Gives up after `maxSteps` moves of the search.
 *
 * When none fits, `furthest` is the longest order found and the operation that then had to take
 * effect but could not, with the state it met.
 */
export function searchLinearization<S>(ops: readonly Operation[], model: Model<S>, maxSteps: number): SearchResult<S> {
  const head: Entry = { index: -1, call: false, time: -Infinity, prev: undefined, next: undefined };
  const entries: Entry[] = [];
  ops.forEach((o, index) => {
    const call: Entry = { index, call: true, time: o.startMs, prev: undefined, next: undefined };
    entries.push(call);
    if (o.outcome === 'ok') entries.push((call.match = { index, call: false, time: o.endMs, prev: undefined, next: undefined }));
  });
  // At equal times a call comes first: operations that touch at an instant count as concurrent.
  entries.sort((a, b) => a.time - b.time || Number(b.call) - Number(a.call));
  let tail = head;
  for (const e of entries) {
    e.prev = tail;
    tail.next = e;
    tail = e;
  }

  const lift = (e: Entry) => {
    for (const x of e.match ? [e, e.match] : [e]) {
      x.prev!.next = x.next;
      if (x.next) x.next.prev = x.prev;
    }
  };
  const unlift = (e: Entry) => {
    for (const x of e.match ? [e.match, e] : [e]) {
      x.prev!.next = x;
      if (x.next) x.next.prev = x;
    }
  };

  const taken = new Uint32Array(Math.ceil(ops.length / 32));
  const flip = (i: number) => (taken[i >>> 5] ^= 1 << (i & 31));
  const tried = new Set<string>();
  const stack: { entry: Entry; state: S }[] = [];
  let state = model.initial;
  let pending = ops.filter((o) => o.outcome === 'ok').length;
  let furthest: { order: Operation[]; blocked: Operation; state: S } | undefined;
  let entry = head.next;
  for (let steps = 0; pending > 0; steps++) {
    if (steps >= maxSteps) return { kind: 'too large', steps };
    // While an acknowledged operation is not taken, its return entry is still in the list.
    const e = entry!;
    if (e.call) {
      const op = ops[e.index];
      const after = model.step(state, op);
      if (after !== undefined) {
        flip(e.index);
        const key = `${taken.join(',')}|${model.stateKey(after)}`;
        if (!tried.has(key)) {
          tried.add(key);
          stack.push({ entry: e, state });
          state = after;
          if (op.outcome === 'ok') pending -= 1;
          lift(e);
          entry = head.next;
          continue;
        }
        flip(e.index);
      }
      entry = e.next;
      continue;
    }
    // An operation's end came before it could be taken: undo the last choice and try the next one.
    if (!furthest || stack.length > furthest.order.length) furthest = { order: stack.map((s) => ops[s.entry.index]), blocked: ops[e.index], state };
    const last = stack.pop();
    if (!last) return { kind: 'not linearizable', furthest };
    state = last.state;
    flip(last.entry.index);
    if (ops[last.entry.index].outcome === 'ok') pending += 1;
    unlift(last.entry);
    entry = last.entry.next;
  }
  return { kind: 'linearizable', order: stack.map((s) => ops[s.entry.index]) };
}
