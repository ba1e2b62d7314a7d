// The cost of each read mode (issue 15): Get in `default`, `consistent` and `stale` on the
// primary, and `stale` on a replica, at concurrency 1 and 64, against a cluster with minAcks 1
// and two replicas holding 1000 keys. `stale` on the primary reads the store with no lease or
// quorum check, which is what a Get cost before the modes: the baseline the others are held to
// (default within 10% of it; consistent at least half of it at concurrency 64).
import { ReadConsistency } from '../gen/shoal/v1/state';
import { StateCluster } from '../test/support/stateCluster';
import { type LoadResult, load } from './load';

const KEYS = 1000;
const VALUE = Buffer.alloc(100, 'v');

interface ModeRun {
  mode: string;
  node: string;
  runs: LoadResult[];
}

export async function readModes(): Promise<{ modes: ModeRun[]; defaultToBaselinePercent: number[]; consistentToBaselinePercent: number[] }> {
  const c = await StateCluster.start({ cluster: 'bench-reads', sync: { minAcks: 1 } });
  try {
    const writer = c.node('primary').state;
    for (let i = 0; i < KEYS; i++) {
      await new Promise((resolve, reject) => writer.put({ key: `r/${i}`, value: VALUE }, (err, res) => (err ? reject(err) : resolve(res))));
    }
    await c.waitForReplicas('primary', 2);
    const get = (node: string, consistency: ReadConsistency) => {
      const { state } = c.node(node);
      return (i: number) =>
        new Promise((resolve, reject) => state.get({ key: `r/${i % KEYS}`, minPosition: 0, consistency }, (err, res) => (err ? reject(err) : resolve(res))));
    };
    const plan: [string, string, ReadConsistency][] = [
      ['stale (baseline)', 'primary', ReadConsistency.READ_CONSISTENCY_STALE],
      ['default', 'primary', ReadConsistency.READ_CONSISTENCY_DEFAULT],
      ['consistent', 'primary', ReadConsistency.READ_CONSISTENCY_CONSISTENT],
      ['stale', 'replica-1', ReadConsistency.READ_CONSISTENCY_STALE],
    ];
    const modes: ModeRun[] = [];
    for (const [mode, node, consistency] of plan) {
      const runs: LoadResult[] = [];
      for (const concurrency of [1, 64]) runs.push(await load(concurrency, get(node, consistency)));
      modes.push({ mode, node, runs });
      for (const r of runs) {
        console.log(
          `Get ${mode} on ${node}, concurrency ${r.concurrency}: ${r.callsPerSecond} calls/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors}`,
        );
      }
    }
    const [baseline, dflt, consistent] = modes;
    const percent = (of: ModeRun) => of.runs.map((r, i) => Math.round((r.callsPerSecond / baseline.runs[i].callsPerSecond) * 100));
    const defaultToBaselinePercent = percent(dflt);
    const consistentToBaselinePercent = percent(consistent);
    console.log(
      `default is ${defaultToBaselinePercent.join('% / ')}% of the baseline at concurrency 1 / 64 (target: at least 90%); consistent ${consistentToBaselinePercent.join('% / ')}% (target: at least 50% at 64)`,
    );
    return { modes, defaultToBaselinePercent, consistentToBaselinePercent };
  } finally {
    await c.stop();
  }
}
