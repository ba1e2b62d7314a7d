import type { StateClient } from '../../common/client/StateClient';
import { checkAckedWrites } from '../../common/history/checkAckedWrites';
import { checkLinearizable } from '../../common/history/checkLinearizable';
import { checkOneWriterPerTerm } from '../../common/history/checkOneWriterPerTerm';
import { checkSet, type SetResult } from '../../common/history/checkSet';
import type { HistoryEvent, KeyValue } from '../../common/history/event';
import type { Verdict } from '../../common/history/verdict';
import { REGISTER_KEYS, type WorkloadName, workloadPrefix } from './workloads';

/** What the final reads found, once the cluster settled. */
export interface FinalReads {
  register: Map<string, KeyValue>;
  set: Set<string>;
}

/** Reads every register key and lists the set, consistently, from the settled cluster. */
export async function finalReads(state: StateClient, run: string, workloads: readonly WorkloadName[]): Promise<FinalReads> {
  const register = new Map<string, KeyValue>();
  if (workloads.includes('register')) {
    for (let k = 1; k <= REGISTER_KEYS; k++) {
      const key = `${workloadPrefix(run, 'register')}${k}`;
      const r = await state.get(key, { consistency: 'consistent' });
      register.set(key, r.found ? r.value.toString('utf8') : null);
    }
  }
  const set = new Set<string>();
  if (workloads.includes('set')) {
    let pageToken = '';
    do {
      const page = await state.list(workloadPrefix(run, 'set'), { consistency: 'consistent', pageToken });
      for (const e of page.entries) set.add(e.key);
      pageToken = page.nextPageToken;
    } while (pageToken);
  }
  return { register, set };
}

export interface Judgement {
  verdicts: Verdict[];
  set?: Omit<SetResult, 'verdict'>;
  /** Every verdict passed: no anomaly, nothing undecided. */
  valid: boolean;
}

/** Runs every checker that applies to the workloads run. */
export function judgeRun(history: readonly HistoryEvent[], run: string, workloads: readonly WorkloadName[], reads: FinalReads): Judgement {
  const under = (w: WorkloadName) => history.filter((e) => e.key.startsWith(workloadPrefix(run, w)));
  const verdicts: Verdict[] = [checkOneWriterPerTerm(history)];
  let set: Judgement['set'];
  if (workloads.includes('register')) verdicts.push(checkLinearizable(under('register')), checkAckedWrites(under('register'), reads.register));
  if (workloads.includes('set')) {
    const { verdict, ...figures } = checkSet(under('set'), workloadPrefix(run, 'set'), reads.set);
    verdicts.push(verdict);
    set = figures;
  }
  return { verdicts, set, valid: verdicts.every((v) => v.valid === true) };
}
