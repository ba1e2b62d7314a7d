/** A vector clock: per node id, how many writes of that node a version has seen. */
export type VectorClock = Readonly<Record<string, number>>;

/** How version a relates to version b by causality. */
export type Causality = 'equal' | 'before' | 'after' | 'concurrent';

/** 'before' when b has seen everything a has (and more), 'after' the reverse, else 'concurrent'. */
export function compareClocks(a: VectorClock, b: VectorClock): Causality {
  let aAhead = false;
  let bAhead = false;
  for (const node of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[node] ?? 0;
    const y = b[node] ?? 0;
    if (x > y) aAhead = true;
    if (y > x) bAhead = true;
  }
  if (aAhead && bAhead) return 'concurrent';
  if (aAhead) return 'after';
  if (bAhead) return 'before';
  return 'equal';
}

/** The least clock that has seen both: the element-wise maximum. */
export function mergeClocks(a: VectorClock, b: VectorClock): VectorClock {
  const merged: Record<string, number> = { ...a };
  for (const [node, counter] of Object.entries(b)) merged[node] = Math.max(merged[node] ?? 0, counter);
  return merged;
}

/** `clock` with one more write by `node`. */
export function tick(clock: VectorClock, node: string): VectorClock {
  return { ...clock, [node]: (clock[node] ?? 0) + 1 };
}

/** Sorted [node, counter] pairs without zero entries: a stable form for storage and digests. */
export function clockEntries(clock: VectorClock): [string, number][] {
  return Object.entries(clock)
    .filter(([, c]) => c > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
