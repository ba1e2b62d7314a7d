import { describeOperation } from './describeOperation';
import type { HistoryEvent, KeyValue } from './event';
import { effectEndMs, groupInto, mutates, type Operation, operations } from './operations';
import { type Verdict, verdict } from './verdict';

const text = (v: KeyValue | undefined): string => (v === null || v === undefined ? 'absent' : JSON.stringify(v));

/**
 * Every acknowledged write (write, cas or delete with outcome ok) is still there at the end:
 * each key's final value (`finalReads`, read once the cluster has settled; null = absent) was set
 * by a write that may be the key's last: one not known to have failed, and not certainly
 * followed by an acknowledged write (which would then have to be there instead). An
 * acknowledged write certainly after every write that set the final value is lost.
 */
export function checkAckedWrites(history: readonly HistoryEvent[], finalReads: ReadonlyMap<string, KeyValue>): Verdict {
  const byKey = new Map<string, Operation[]>();
  for (const o of operations(history)) if (mutates(o) && o.outcome !== 'fail') groupInto(byKey, o.key, o);
  const problems: string[] = [];
  for (const [key, writes] of byKey) {
    const acked = writes.filter((o) => o.outcome === 'ok');
    if (acked.length === 0) continue;
    if (!finalReads.has(key)) {
      problems.push(`${key} has ${acked.length} acknowledged write(s) but no final read to check them against`);
      continue;
    }
    const final = finalReads.get(key) ?? null;
    const setters = writes.filter((o) => o.value === final);
    // Acknowledged writes that certainly came after every write that could have left the final value.
    const latest = Math.max(...setters.map(effectEndMs));
    const lost = setters.length > 0 ? acked.filter((o) => o.startMs > latest) : acked.filter((o) => !acked.some((later) => later.startMs > o.endMs));
    for (const o of lost)
      problems.push(
        `${key}: the acknowledged ${describeOperation(o)} is lost: the key is ${text(final)} at the end, ` +
          (setters.length > 0 ? `set only by writes that came before it` : `which no write that may have taken effect set`),
      );
  }
  return verdict('acknowledged writes', problems);
}
