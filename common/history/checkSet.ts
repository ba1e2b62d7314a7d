import { describeOperation } from './describeOperation';
import type { HistoryEvent } from './event';
import { operations } from './operations';
import { type Verdict, verdict } from './verdict';

/** What the set checker found, beyond its verdict: the figures a report prints. */
export interface SetResult {
  verdict: Verdict;
  /** Elements whose add was acknowledged: each must be in the final read. */
  acknowledged: number;
  /** Acknowledged adds missing from the final read: an anomaly each. */
  lost: string[];
  /** Elements in the final read that no add of the history named: an anomaly each. */
  unexpected: string[];
  /**
   * Elements whose add failed and that are in the final read all the same. A failed add did not
   * happen as far as the client was told, so this is reported as what "may" be a misjudged
   * error, never as a loss; it does not fail the verdict.
   */
  presentAfterFail: string[];
  /** Adds with no known outcome: present or absent at the end, either is allowed. */
  unknownPresent: number;
  unknownAbsent: number;
}

/**
 * The set workload (every client adds unique elements: a write of a new key under `prefix`;
 * once the cluster has settled, one read lists the keys under it): every acknowledged add is
 * in the final read, and the final read holds nothing no add wrote. Failed adds did not happen
 * and unknown ones may have, as for every checker here; a failed add found at the end is listed
 * apart (`presentAfterFail`).
 * @param finalElements the keys the final read listed under `prefix`.
 */
export function checkSet(history: readonly HistoryEvent[], prefix: string, finalElements: ReadonlySet<string>): SetResult {
  const adds = operations(history).filter((o) => o.op === 'write' && o.key.startsWith(prefix));
  const problems: string[] = [];
  const result: Omit<SetResult, 'verdict'> = { acknowledged: 0, lost: [], unexpected: [], presentAfterFail: [], unknownPresent: 0, unknownAbsent: 0 };
  const named = new Set<string>();
  for (const add of adds) {
    named.add(add.key);
    const present = finalElements.has(add.key);
    if (add.outcome === 'ok') {
      result.acknowledged += 1;
      if (!present) {
        result.lost.push(add.key);
        problems.push(`${add.key}: the acknowledged ${describeOperation(add)} is lost: the final read does not list it`);
      }
    } else if (add.outcome === 'fail') {
      if (present) result.presentAfterFail.push(add.key);
    } else if (present) result.unknownPresent += 1;
    else result.unknownAbsent += 1;
  }
  for (const element of finalElements) {
    if (named.has(element)) continue;
    result.unexpected.push(element);
    problems.push(`${element}: the final read lists it, but no add of the history wrote it`);
  }
  return { ...result, verdict: verdict('set', problems) };
}
