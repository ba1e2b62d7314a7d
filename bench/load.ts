// A closed-loop load: `concurrency` loops calling as fast as answers come, for
// BENCH_SECONDS (default 5); throughput and latency percentiles of the calls that succeeded.
import { percentile } from './stats';

/** How long each load runs, s. */
export const LOAD_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

export interface LoadResult {
  concurrency: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** Runs `call` from `concurrency` loops for LOAD_SECONDS; latency per call. */
export async function load(concurrency: number, call: (i: number) => Promise<unknown>): Promise<LoadResult> {
  const end = performance.now() + LOAD_SECONDS * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        try {
          await call(n++);
          latencies.push(performance.now() - started);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    callsPerSecond: Math.round(latencies.length / LOAD_SECONDS),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    errors,
  };
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}
