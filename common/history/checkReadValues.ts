import { describeOperation } from './describeOperation';
import type { HistoryEvent } from './event';
import { groupInto, mutates, type Operation, operations } from './operations';
import { type Verdict, verdict } from './verdict';

/**
 * No read returned a value that no write could have put there: every value an acknowledged read
 * returned (absent aside) was written to its key by an operation invoked before the read ended
 * and not known to have failed. A value that only failed writes wrote is a dirty read (the node
 * showed a write that never took effect); one that nothing wrote is a phantom. Keys are taken
 * to start absent.
 */
export function checkReadValues(history: readonly HistoryEvent[]): Verdict {
  const ops = operations(history);
  const writers = new Map<string, Operation[]>();
  for (const o of ops) if (mutates(o) && o.value !== null) groupInto(writers, `${o.key}\0${o.value}`, o);
  const problems: string[] = [];
  for (const read of ops) {
    if (read.op !== 'read' || read.outcome !== 'ok' || read.value === null || read.value === undefined) continue;
    const candidates = (writers.get(`${read.key}\0${read.value}`) ?? []).filter((w) => w.startMs <= read.endMs);
    if (candidates.some((w) => w.outcome !== 'fail')) continue;
    if (candidates.length > 0)
      problems.push(
        `dirty read: ${describeOperation(read)} returned what only ${candidates.map(describeOperation).join(' and ')} wrote, which did not take effect`,
      );
    else problems.push(`phantom read: ${describeOperation(read)} returned a value that no operation invoked before it ended wrote`);
  }
  return verdict('read values', problems);
}
