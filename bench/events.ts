// Event processing end to end: 2 workers (the built-in `hash` handler, trivial), events/s
// from the first publish to the last ack with the CPU each process used per event, and
// publish → processed latency of single events on an idle cluster. Twice: the cluster as
// `make up` runs it (a primary and 2 replicas), and with a primary alone, which like the Redis
// baseline replicates nothing. Then BullMQ on a local Redis the same way, where redis-server is
// installed. Prints figures; asserts nothing.
// Run: npm run bench -- events
import { EventsClient } from '../common/client/EventsClient';
import { waitFor } from '../common/time/waitFor';
import { ControlPlaneCluster } from '../test/support/controlPlaneCluster';
import { bullmqBaseline } from './bullmqBaseline';
import { CpuMeter, formatCpu } from './CpuMeter';
import { percentile } from './stats';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 5000);
/** Events each worker runs at once, for shoal (events.concurrency) and BullMQ alike. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const LATENCY_SAMPLES = 100;

export async function events(): Promise<Record<string, unknown>> {
  console.log('shoal with 2 replicas (each publish and ack fsynced on the primary and applied on a replica before it is answered):');
  const ours = await shoalEvents(2);
  console.log('shoal with a primary alone (fsynced, no replica: what the Redis baseline promises):');
  const alone = await shoalEvents(0);
  const bullmq = await bullmqBaseline(EVENTS, CONCURRENCY, false);
  const bullmqFsync = await bullmqBaseline(EVENTS, CONCURRENCY, true);
  if ('skipped' in bullmq) console.log(`BullMQ baseline skipped: ${bullmq.skipped}`);
  if ('eventsPerSecond' in bullmq) console.log(`BullMQ, same handler and workers, Redis in memory (no fsync): ${bullmq.eventsPerSecond} events/s`);
  if ('eventsPerSecond' in bullmqFsync)
    console.log(
      `BullMQ, same handler and workers, Redis with appendfsync always: ${bullmqFsync.eventsPerSecond} events/s (shoal: ${ours.eventsPerSecond} events/s with 2 replicas, ${alone.eventsPerSecond} with a primary alone)`,
    );
  if ('cpuMicrosPerEvent' in bullmqFsync && bullmqFsync.cpuMicrosPerEvent.total)
    console.log(`BullMQ with fsync, µs of CPU per event: ${formatCpu(bullmqFsync.cpuMicrosPerEvent)}`);
  return { events: EVENTS, workers: 2, concurrency: CONCURRENCY, ...ours, primaryAlone: alone, bullmq, bullmqFsync };
}

async function shoalEvents(
  replicas: number,
): Promise<{ eventsPerSecond: number; latencyP50Ms: number; latencyP99Ms: number; cpuMicrosPerEvent: Record<string, number> }> {
  const name = `bench-events-r${replicas}`;
  const cluster = await ControlPlaneCluster.start({
    cluster: name,
    controlPlanes: 1,
    replicas,
    scaling: { enabled: false },
    events: { concurrency: CONCURRENCY },
  });
  const client = new EventsClient({ consul: cluster.consul.api, cluster: name });
  try {
    await cluster.ready(60_000);
    // Warm-up: one event through, so the workers are leasing.
    await client.publish({ type: 'hash' });
    await waitFor('workers leasing', async () => (await client.backlog()).done >= 1, { timeoutMs: 30_000, intervalMs: 50 });
    // Throughput: publish EVENTS in batches of 100 (8 calls at a time), until all are done.
    const doneBefore = (await client.backlog()).done;
    const cpu = new CpuMeter(() => ({
      ...Object.fromEntries(cluster.runDir.readNodes().map((n) => [n.id, n.pid])),
      ...Object.fromEntries([...cluster.planes].map(([id, child]) => [id, child.pid ?? 0])),
      consul: cluster.consul.process.pid ?? 0,
    }));
    cpu.start();
    const started = performance.now();
    const batches = Array.from({ length: Math.ceil(EVENTS / 100) }, (_, i) => Math.min(100, EVENTS - i * 100));
    for (let i = 0; i < batches.length; i += 8) {
      await Promise.all(
        batches.slice(i, i + 8).map((n) => client.publishBatch(Array.from({ length: n }, (_, k) => ({ type: 'hash', payload: Buffer.from(`e${i}-${k}`) })))),
      );
    }
    const published = performance.now();
    await waitFor('every event processed', async () => (await client.backlog()).done - doneBefore >= EVENTS, { timeoutMs: 300_000, intervalMs: 20 });
    const processed = performance.now();
    const cpuMicrosPerEvent = cpu.stop(EVENTS);
    const rate = Math.round(EVENTS / ((processed - started) / 1000));
    console.log(
      `${EVENTS} events, 2 workers at concurrency ${CONCURRENCY}, trivial handler: ${rate} events/s end to end (published in ${Math.round(published - started)} ms, all processed after ${Math.round(processed - started)} ms)`,
    );
    if (cpuMicrosPerEvent.total) console.log(`shoal, µs of CPU per event: ${formatCpu(cpuMicrosPerEvent)}`);

    // Latency: one event at a time, publish until the primary counts it done.
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const before = (await client.backlog()).done;
      const t0 = performance.now();
      await client.publish({ type: 'hash', payload: Buffer.from(`l${i}`) });
      await waitFor('the event done', async () => (await client.backlog()).done > before, { timeoutMs: 10_000, intervalMs: 1 });
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    const p50 = Math.round(percentile(latencies, 50) * 10) / 10;
    const p99 = Math.round(percentile(latencies, 99) * 10) / 10;
    console.log(
      `publish → processed (acked by the worker), one at a time: p50 ${p50} ms, p99 ${p99} ms (${LATENCY_SAMPLES} events; includes polling GetBacklog every 1 ms)`,
    );
    return { eventsPerSecond: rate, latencyP50Ms: p50, latencyP99Ms: p99, cpuMicrosPerEvent };
  } finally {
    client.close();
    await cluster.stop();
  }
}
