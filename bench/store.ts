// The state store's write path on its own, no network: CPU time per event (the publish of a
// ~300-byte record and the purge its ack writes: two entries) at several batch sizes, fsync "always". "replica" applies
// ready-made entries as a replica does; "primary" writes through PrimaryWriter (reads each key,
// builds the entries, commits); "events queue" is the primary's whole events path above it
// (EventQueue: publish in batches of 100, lease and ack 25 at a time), spans and all, but no
// gRPC and no replica: what the network and the other processes add is the rest of the
// `events` benchmark's cost. CPU time, not wall time: the disk's latency is not the figure,
// and other work on the machine changes CPU time less. Prints figures; asserts nothing.
// Run: npm run bench -- store
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EventQueue } from '../services/node/events/EventQueue';
import { uuidV7 } from '../services/node/events/eventId';
import { AckTracker } from '../services/node/replication/AckTracker';
import { EntryFeed } from '../services/node/replication/EntryFeed';
import { PrimaryWriter } from '../services/node/replication/PrimaryWriter';
import { HybridClock } from '../services/node/store/hybridClock';
import { StateStore } from '../services/node/store/StateStore';
import type { Entry } from '../services/node/store/types';
import { eventKey } from '../services/node/store/systemKeys';
import { lonePrimary } from '../test/support/lonePrimary';
import { percentile } from './stats';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);
const BATCHES = [10, 50, 200];
const TRACE_PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** A published event's record as the events service stores it. */
function record(id: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      id,
      type: 'hash',
      key: '',
      payload: 'ZTEyLTM0',
      publishedAtMs: Date.now(),
      attempts: 0,
      state: 'pending',
      lastError: '',
      result: '',
      traceparent: TRACE_PARENT,
    }),
  );
}

/** The keys and published records of `events` fresh events, made before the clock starts. */
function workload(events: number): { key: string; published: Buffer }[] {
  return Array.from({ length: events }, () => {
    const id = uuidV7();
    return { key: eventKey(id), published: record(id) };
  });
}

/** µs of CPU (user + system) per event, writing `events` in batches of `batch` as a replica. */
function replicaRun(dir: string, events: number, batch: number): number {
  const store = new StateStore(join(dir, 'replica.db'), 'always');
  let position = 0;
  const entry = (key: string, op: Entry['op'], value: Buffer, version: number): Entry => ({
    position: ++position,
    term: 1,
    op,
    key,
    value,
    version,
    hlc: { physicalMs: Date.now(), logical: 0 },
    origin: 'primary',
    vclock: { primary: version },
    traceParent: TRACE_PARENT,
  });
  const batches: Entry[][] = [];
  const work = workload(events);
  for (let i = 0; i < events; i += batch) {
    const slice = work.slice(i, i + batch);
    batches.push(slice.map((w) => entry(w.key, 'put', w.published, 1)));
    batches.push(slice.map((w) => entry(w.key, 'purge', Buffer.alloc(0), 2)));
  }
  const started = process.cpuUsage();
  for (const entries of batches) store.applyEntries(entries);
  const used = process.cpuUsage(started);
  store.close();
  return (used.user + used.system) / events;
}

/** The same through the primary's writer: each flush commits `batch` publishes, then `batch` acks. */
async function primaryRun(dir: string, events: number, batch: number): Promise<number> {
  const store = new StateStore(join(dir, 'primary.db'), 'always');
  store.startTerm(1, 1);
  const writer = new PrimaryWriter(store, new EntryFeed(store), new AckTracker(0), new HybridClock(), 'primary', 1, pino({ level: 'silent' }));
  const work = workload(events);
  const deadlineMs = Date.now() + 600_000;
  const started = process.cpuUsage();
  for (let i = 0; i < events; i += batch) {
    const slice = work.slice(i, i + batch);
    await Promise.all(
      slice.map((w) =>
        writer.write({ op: 'put', key: w.key, value: w.published, expectedVersion: 0, traceParent: TRACE_PARENT, deadlineMs, waitForAcks: false }),
      ),
    );
    await Promise.all(
      slice.map((w) => writer.write({ op: 'purge', key: w.key, value: Buffer.alloc(0), traceParent: TRACE_PARENT, deadlineMs, waitForAcks: false })),
    );
  }
  const used = process.cpuUsage(started);
  writer.close('benchmark over');
  store.close();
  return (used.user + used.system) / events;
}

/** The primary's events path, in-process: publish 100, then lease and ack them 25 at a time. */
async function queueRun(dir: string, events: number): Promise<number> {
  const store = new StateStore(join(dir, 'queue.db'), 'always');
  store.startTerm(1, 1);
  const { deps, writer } = lonePrimary(store, pino({ level: 'silent' }));
  const queue = new EventQueue(deps, { leaseMs: 30_000, maxAttempts: 5, handlerTimeout: 25_000, concurrency: 16, dedupeWindow: 120_000 });
  const never = new AbortController().signal;
  const result = Buffer.from(JSON.stringify({ sha256: 'x'.repeat(64) }));
  const started = process.cpuUsage();
  for (let i = 0; i < events; i += 100) {
    await queue.publishAll(
      Array.from({ length: Math.min(100, events - i) }, (_, k) => ({ type: 'hash', key: '', payload: Buffer.from(`e${i}-${k}`), idempotencyKey: '' })),
      Date.now() + 60_000,
    );
    for (let leased = await queue.lease('worker-1', 25, 30_000, 0, never); leased.length > 0; leased = await queue.lease('worker-1', 25, 30_000, 0, never)) {
      const acks = leased.map((l) => ({
        workerId: 'worker-1',
        eventId: l.event!.id,
        leaseId: l.leaseId,
        success: true,
        result,
        error: '',
        permanent: false,
        traceparent: l.event!.traceparent,
      }));
      await queue.ackAll(acks, Date.now() + 60_000);
    }
  }
  const used = process.cpuUsage(started);
  const done = queue.backlog().done;
  queue.close();
  writer.close('benchmark over');
  store.close();
  if (done !== events) throw new Error(`the queue counts ${done} events done, not ${events}`);
  return (used.user + used.system) / events;
}

/** Runs `run` TRIALS times, each on a fresh store, after one short run to warm up the JIT. */
async function trials(run: (dir: string, events: number) => number | Promise<number>): Promise<{ p50: number; min: number; max: number }> {
  const measure = async (events: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-store-'));
    try {
      return await run(dir, events);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  await measure(Math.min(EVENTS, 2000));
  const sorted: number[] = [];
  for (let t = 0; t < TRIALS; t++) sorted.push(await measure(EVENTS));
  sorted.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { p50: round(percentile(sorted, 50)), min: round(sorted[0]), max: round(sorted.at(-1)!) };
}

export async function store(): Promise<Record<string, unknown>> {
  const figures: Record<string, unknown>[] = [];
  for (const path of ['replica', 'primary'] as const) {
    for (const batch of BATCHES) {
      const cpu = await trials((dir, events) => (path === 'replica' ? replicaRun(dir, events, batch) : primaryRun(dir, events, batch)));
      console.log(`${path}, batches of ${batch}: ${cpu.p50} µs CPU per event (min ${cpu.min}, max ${cpu.max}; ${TRIALS} trials of ${EVENTS} events)`);
      figures.push({ path, batch, cpuMicrosPerEventP50: cpu.p50, cpuMicrosPerEventMin: cpu.min, cpuMicrosPerEventMax: cpu.max });
    }
  }
  const cpu = await trials(queueRun);
  console.log(
    `events queue (publish 100, lease and ack 25): ${cpu.p50} µs CPU per event (min ${cpu.min}, max ${cpu.max}; ${TRIALS} trials of ${EVENTS} events)`,
  );
  figures.push({ path: 'events queue', cpuMicrosPerEventP50: cpu.p50, cpuMicrosPerEventMin: cpu.min, cpuMicrosPerEventMax: cpu.max });
  return { events: EVENTS, trials: TRIALS, fsync: 'always', figures };
}
