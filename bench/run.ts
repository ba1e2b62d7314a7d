// npm run bench [-- NAME …]: runs the named benchmarks (all without names), prints their
// figures and writes each as JSON to bench/results/<name>-<time>.json. Benchmarks measure;
// they assert nothing, and tests never assert timings.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { killAll } from '../test/support/processRegistry';
import { clusterUp } from './clusterUp';
import { dashboard } from './dashboard';
import { replication } from './replication';
import { readModes } from './readModes';
import { tlsCost } from './tlsCost';
import { events } from './events';
import { scale } from './scale';
import { store } from './store';
import { failover, handover, heal } from './selfHealing';
import { labFailover, labFailoverRaft, labHeal } from './labFailover';

const BENCHMARKS: Record<string, () => Promise<Record<string, unknown>>> = {
  'cluster-up': clusterUp,
  replication,
  'read-modes': async () => ({ ...(await readModes()) }),
  'tls-cost': tlsCost,
  failover,
  heal,
  handover,
  events,
  scale,
  dashboard,
  store,
  'lab-failover': labFailover,
  'lab-failover-raft': labFailoverRaft,
  'lab-heal': labHeal,
};

async function main(names: string[]): Promise<void> {
  if (names.includes('--help') || names.includes('-h')) {
    console.log(
      `Usage: npm run bench [-- NAME …]\nBenchmarks: ${Object.keys(BENCHMARKS).join(', ')} (all when none is named).\nEnvironment: BENCH_SECONDS (load duration, default 5), BENCH_RUNS (cluster-up runs, default 3), BENCH_TRIALS (failover, heal, handover, lab-failover, lab-failover-raft, lab-heal trials, default 10; dashboard, default 5; store, default 3), BENCH_EVENTS (events, default 5000; store, default 10000).`,
    );
    return;
  }
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  for (const name of names.length ? names : Object.keys(BENCHMARKS)) {
    console.log(`== ${name}`);
    const figures = await BENCHMARKS[name]();
    const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify({ benchmark: name, at: new Date().toISOString(), cpus: cpus().length, node: process.version, ...figures }, null, 2) + '\n',
    );
    console.log(`wrote ${file}`);
  }
}

main(process.argv.slice(2))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(killAll);
