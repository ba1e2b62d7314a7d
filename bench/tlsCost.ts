// What mutual TLS costs an acknowledged Put (minAcks 1, fsync always): a plaintext cluster and
// one with TLS on every hop (client → primary, primary → replicas) run side by side, and their
// loads alternate, BENCH_TLS_ROUNDS times (default 3) at concurrency 1 and 64, so the two are
// measured on the machine in the same state; the medians are compared. Part of `replication`.
import { StateCluster } from '../test/support/stateCluster';
import { type LoadResult, load, round } from './load';

const ROUNDS = Number(process.env.BENCH_TLS_ROUNDS ?? 3);
const VALUE = Buffer.alloc(100, 'v');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function tlsCost(): Promise<Record<string, unknown>> {
  const sync = { minAcks: 1, fsync: 'always', interval: Number(process.env.BENCH_AE_MS ?? 5000) };
  const clusters = {
    plaintext: await StateCluster.start({ cluster: 'bench-tls-cost-plain', sync }),
    tls: await StateCluster.start({ cluster: 'bench-tls-cost-tls', sync, tls: true }),
  };
  try {
    const put = (c: StateCluster) => {
      const { state } = c.node('primary');
      return (i: number) =>
        new Promise((resolve, reject) => state.put({ key: `k/${i % 10_000}`, value: VALUE }, (err, res) => (err ? reject(err) : resolve(res))));
    };
    const runs: Record<string, LoadResult[]> = {};
    for (let round = 1; round <= ROUNDS; round++) {
      for (const concurrency of [1, 64]) {
        for (const mode of ['plaintext', 'tls'] as const) {
          const r = await load(concurrency, put(clusters[mode]));
          (runs[`${mode}_c${concurrency}`] ??= []).push(r);
          console.log(
            `  round ${round}, ${mode === 'tls' ? 'mutual TLS' : 'plaintext'}, concurrency ${concurrency}: ${r.callsPerSecond} acked/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors}`,
          );
        }
      }
    }
    const results: Record<string, unknown> = { rounds: ROUNDS, runs };
    for (const concurrency of [1, 64]) {
      const plain = median(runs[`plaintext_c${concurrency}`].map((r) => r.callsPerSecond));
      const tls = median(runs[`tls_c${concurrency}`].map((r) => r.callsPerSecond));
      const cost = round((1 - tls / plain) * 100);
      results[`costPercentAtConcurrency${concurrency}`] = cost;
      console.log(
        `Put, minAcks 1, concurrency ${concurrency}, median of ${ROUNDS}: plaintext ${plain} acked/s, mutual TLS ${tls} acked/s: TLS costs ${cost}%${concurrency === 64 ? ' (target: at most 15%)' : ''}`,
      );
    }
    return results;
  } finally {
    await clusters.plaintext.stop();
    await clusters.tls.stop();
  }
}
