import type { TermStart } from '../store/types';
import { termAt } from '../store/termAt';

/**
 * The last position where a replica's log and the primary's agree, judged by which term wrote
 * each position (a position written in the same term holds the same entry: one writer per
 * term). Entries of the replica after it were never part of the primary's log.
 */
export function forkPoint(primary: TermStart[], primaryLast: number, replica: TermStart[], replicaLast: number): number {
  const limit = Math.min(primaryLast, replicaLast);
  const boundaries = [...new Set([1, ...primary.map((t) => t.startPosition), ...replica.map((t) => t.startPosition)])]
    .filter((p) => p >= 1 && p <= limit)
    .sort((a, b) => a - b);
  for (const start of boundaries) {
    if (termAt(primary, start) !== termAt(replica, start)) return start - 1;
  }
  return limit;
}
