import { describeOperation } from './describeOperation';
import type { HistoryEvent } from './event';
import { mutates, type Operation, operations } from './operations';
import { type Verdict, verdict } from './verdict';

/**
 * One primary at a time, judged from the acknowledged writes that say their node and term:
 * - no two nodes acknowledged writes in one term;
 * - no write was acknowledged in a term older than one already acknowledged before it began
 *   (an old primary still acknowledging after a new one had): so two nodes never acknowledged
 *   in overlapping time.
 */
export function checkOneWriterPerTerm(history: readonly HistoryEvent[]): Verdict {
  const acked = operations(history).filter((o) => mutates(o) && o.outcome === 'ok' && o.term !== undefined);
  const problems: string[] = [];

  const byTerm = new Map<number, Map<string, Operation>>();
  for (const o of acked) {
    if (o.node === undefined) continue;
    const nodes = byTerm.get(o.term!) ?? new Map<string, Operation>();
    if (!nodes.has(o.node)) nodes.set(o.node, o);
    byTerm.set(o.term!, nodes);
  }
  for (const [term, nodes] of byTerm)
    if (nodes.size > 1)
      problems.push(`term ${term} was acknowledged by ${[...nodes.keys()].join(' and ')}: ${[...nodes.values()].map(describeOperation).join('; ')}`);

  // Sweep by start time, taking in every write acknowledged before it began; keep the newest term seen.
  const byEnd = [...acked].sort((a, b) => a.endMs - b.endMs);
  let next = 0;
  let newest: Operation | undefined;
  for (const o of [...acked].sort((a, b) => a.startMs - b.startMs)) {
    for (; next < byEnd.length && byEnd[next].endMs < o.startMs; next++) if (!newest || byEnd[next].term! > newest.term!) newest = byEnd[next];
    if (newest && newest.term! > o.term!)
      problems.push(`${describeOperation(o)} was acknowledged in term ${o.term} after ${describeOperation(newest)} had been, in the newer term ${newest.term}`);
  }
  return verdict('one writer per term', problems);
}
