import type { StateClient } from '../../common/client/StateClient';
import type { HistoryRecorder } from '../../common/history/HistoryRecorder';
import type { OpKind } from '../../common/history/event';
import { outcomeOfError } from '../../common/history/outcomeOfError';
import { RecordedStateClient } from '../../common/history/RecordedStateClient';
import type { SeededRandom } from './seededRandom';

export const WORKLOADS = ['register', 'set'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** Each workload's keys live under its own prefix, under the run's. */
export function workloadPrefix(run: string, workload: WorkloadName): string {
  return `chaos/${run}/${workload}/`;
}

/** The register workload's keys: few, so clients contend on each. */
export const REGISTER_KEYS = 3;

/** Per-operation deadline, ms: long enough to ride out a failover, short enough to keep clients busy. */
const OP_DEADLINE_MS = 3000;

/** Counts of completed operations, for the progress line. */
export interface OpCounts {
  ok: number;
  fail: number;
  unknown: number;
}

export interface ClientLoop {
  name: string;
  workload: WorkloadName;
  /** Runs operations one after another until `stop` says so. */
  run(stop: () => boolean): Promise<void>;
}

/** Runs one recorded operation and counts its outcome as the recorder judges it. */
async function counted(op: OpKind, counts: OpCounts, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
    counts.ok += 1;
  } catch (err) {
    // Recorded as fail or unknown already; the client goes on with its next operation.
    counts[outcomeOfError(op, err).outcome] += 1;
  }
}

/**
 * A register client: consistent reads, writes of values unique to it, and compare-and-sets
 * from what it last read, on a few shared keys.
 */
export function registerClient(name: string, run: string, state: StateClient, recorder: HistoryRecorder, random: SeededRandom, counts: OpCounts): ClientLoop {
  const client = new RecordedStateClient(state, recorder, name);
  const prefix = workloadPrefix(run, 'register');
  const known = new Map<string, { version: number; value: string | null }>();
  let n = 0;
  return {
    name,
    workload: 'register',
    async run(stop) {
      while (!stop()) {
        const key = `${prefix}${random.between(1, REGISTER_KEYS)}`;
        const dice = random.next();
        const value = `${name}-${++n}`;
        if (dice < 0.4) {
          await counted('read', counts, async () => {
            const r = await client.read(key, { consistency: 'consistent', deadlineMs: OP_DEADLINE_MS });
            known.set(key, { version: r.found ? r.version : 0, value: r.found ? r.value.toString('utf8') : null });
          });
        } else if (dice < 0.7 || !known.has(key)) {
          await counted('write', counts, () => client.write(key, value, { deadlineMs: OP_DEADLINE_MS }));
        } else {
          await counted('cas', counts, () => client.cas(key, known.get(key)!, value, { deadlineMs: OP_DEADLINE_MS }));
        }
      }
    },
  };
}

/** A set client: adds elements unique to it, each a Put of a new key. */
export function setClient(name: string, run: string, state: StateClient, recorder: HistoryRecorder, counts: OpCounts): ClientLoop {
  const client = new RecordedStateClient(state, recorder, name);
  const prefix = workloadPrefix(run, 'set');
  let n = 0;
  return {
    name,
    workload: 'set',
    async run(stop) {
      while (!stop()) {
        await counted('write', counts, () => client.write(`${prefix}${name}-${++n}`, 'x', { deadlineMs: OP_DEADLINE_MS }));
      }
    },
  };
}
