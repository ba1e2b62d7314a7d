/** The p-th percentile (0–100) of ascending-sorted numbers, nearest rank. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Timings of repeated trials, as printed and saved. */
export interface Summary {
  trials: number;
  p50Ms: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
}

/** Prints `label: p50 …, p90 …, min …, max … (N trials)` and returns the figures. */
export function summarize(label: string, ms: number[]): Summary {
  const sorted = [...ms].sort((a, b) => a - b);
  const s = {
    trials: ms.length,
    p50Ms: Math.round(percentile(sorted, 50)),
    p90Ms: Math.round(percentile(sorted, 90)),
    minMs: Math.round(sorted[0]),
    maxMs: Math.round(sorted.at(-1)!),
  };
  console.log(`${label}: p50 ${s.p50Ms} ms, p90 ${s.p90Ms} ms, min ${s.minMs} ms, max ${s.maxMs} ms (${s.trials} trials)`);
  return s;
}

/**
 * A percentile from a Prometheus histogram's cumulative buckets (le → count), interpolated
 * linearly within the bucket, as histogram_quantile() does.
 */
export function histogramQuantile(q: number, buckets: [number, number][]): number {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return prevLe;
      return prevLe + (le - prevLe) * ((rank - prevCount) / Math.max(1, count - prevCount));
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** Buckets of one histogram series from a /metrics text, summed over its other labels. */
export function histogramBuckets(metricsText: string, name: string): [number, number][] {
  const sums = new Map<number, number>();
  const re = new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (const m of metricsText.matchAll(re)) {
    const le = /le="([^"]+)"/.exec(m[1])?.[1];
    if (!le) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    sums.set(bound, (sums.get(bound) ?? 0) + Number(m[2]));
  }
  return [...sums];
}
