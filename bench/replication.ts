// Acknowledged Put throughput and latency at concurrency 1 and 64 with minAcks 0 and 1 (and
// fsync "batch" for comparison), replication lag at steady load, and a bare grpc-js echo on
// the same machine for scale. Prints figures; asserts nothing. Run: npm run bench -- replication
// (then what mutual TLS costs, tlsCost.ts, and the read modes, readModes.ts; `-- tls-cost` and
// `-- read-modes` run those alone)
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { StateCluster } from '../test/support/stateCluster';
import { echoService } from '../test/support/echoService';
import { readModes } from './readModes';
import { tlsCost } from './tlsCost';
import { LOAD_SECONDS, type LoadResult, load, round } from './load';
import { histogramBuckets, histogramQuantile } from './stats';

const VALUE = Buffer.alloc(100, 'v');
/** The steady load replication lag is measured at. */
const STEADY_PER_SECOND = 500;

async function bareEcho(concurrency: number): Promise<LoadResult> {
  const server = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'echoServer.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((resolve) => server.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    const echo = echoService.echo;
    const result = await load(
      concurrency,
      () =>
        new Promise((resolve, reject) =>
          client.makeUnaryRequest(echo.path, echo.requestSerialize, echo.responseDeserialize, VALUE, new Metadata(), {}, (err, res) =>
            err ? reject(err) : resolve(res),
          ),
        ),
    );
    client.close();
    return result;
  } finally {
    server.kill('SIGKILL');
  }
}

/** Puts at a fixed rate, well below saturation: replication lag without queueing behind a full machine. */
async function steady(call: (i: number) => Promise<unknown>, perSecond: number): Promise<number> {
  const total = perSecond * LOAD_SECONDS;
  const started = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(call(i).catch(() => undefined));
  }
  await Promise.all(pending);
  return total;
}

async function lagBuckets(c: StateCluster): Promise<[number, number][]> {
  return histogramBuckets(await (await fetch(`http://${c.nodes.http('primary')}/metrics`)).text(), 'shoal_replication_lag_seconds');
}

/** The buckets' growth between two scrapes: the lag of what happened in between. */
function delta(after: [number, number][], before: [number, number][]): [number, number][] {
  const was = new Map(before);
  return after.map(([le, count]) => [le, count - (was.get(le) ?? 0)]);
}

async function puts(minAcks: number, fsync: 'always' | 'batch'): Promise<{ runs: LoadResult[]; lagP50Ms: number; lagP99Ms: number; steadyPerSecond: number }> {
  const cluster = `bench-${minAcks}-${fsync}`;
  const c = await StateCluster.start({ cluster, sync: { minAcks, fsync, interval: Number(process.env.BENCH_AE_MS ?? 5000) } });
  try {
    const { state } = c.node('primary');
    // Called like the echo (no deadline, no metadata), so the two differ only in what the server does.
    const put = (i: number) =>
      new Promise((resolve, reject) => state.put({ key: `k/${i % 10_000}`, value: VALUE }, (err, res) => (err ? reject(err) : resolve(res))));
    const runs: LoadResult[] = [];
    for (const concurrency of [1, 64]) runs.push(await load(concurrency, put));
    const before = await lagBuckets(c);
    await steady(put, STEADY_PER_SECOND);
    const buckets = delta(await lagBuckets(c), before);
    return {
      runs,
      lagP50Ms: round(histogramQuantile(0.5, buckets) * 1000),
      lagP99Ms: round(histogramQuantile(0.99, buckets) * 1000),
      steadyPerSecond: STEADY_PER_SECOND,
    };
  } finally {
    await c.stop();
  }
}

/** Runs the benchmark and returns its figures. */
export async function replication(): Promise<Record<string, unknown>> {
  const echo = await bareEcho(64);
  console.log(`bare grpc-js unary echo (100 B), concurrency 64: ${echo.callsPerSecond} calls/s, p50 ${echo.p50Ms} ms, p99 ${echo.p99Ms} ms`);
  const results: Record<string, unknown> = { seconds: LOAD_SECONDS, valueBytes: VALUE.length, bareEcho: echo };
  for (const [minAcks, fsync] of [
    [0, 'always'],
    [1, 'always'],
    [1, 'batch'],
  ] as const) {
    const r = await puts(minAcks, fsync);
    results[`minAcks${minAcks}_fsync_${fsync}`] = r;
    for (const run of r.runs) {
      console.log(
        `Put, minAcks ${minAcks}, fsync ${fsync}, concurrency ${run.concurrency}: ${run.callsPerSecond} acked/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, errors ${run.errors}`,
      );
    }
    console.log(
      `  replication lag at a steady ${r.steadyPerSecond} writes/s (commit on primary → replica ack): p50 ${r.lagP50Ms} ms, p99 ${r.lagP99Ms} ms (target: p99 under 10 ms)`,
    );
  }
  const semiSync = (results.minAcks1_fsync_always as { runs: LoadResult[] }).runs[1].callsPerSecond;

  const ratio = round((semiSync / echo.callsPerSecond) * 100);
  console.log(`minAcks 1 at concurrency 64 is ${ratio}% of the bare echo's throughput (target: at least 60%)`);
  results.semiSyncToEchoPercent = ratio;
  console.log('mutual TLS against plaintext:');
  results.tlsCost = await tlsCost();
  results.readModes = await readModes();
  return results;
}
