// Autoscaling end to end, over BENCH_TRIALS (default 3) load steps: a burst of sleep events
// (the backlog-per-worker threshold is crossed at once) → scale-up decision → the added worker
// running; then, the backlog processed → back at the minimum. The policy's windows are the
// bench's (printed), not the defaults: up 2 s, down 5 s, cooldown 3 s. Asserts nothing.
// Run: npm run bench -- scale
import { ClusterEventKind, type GetPolicyResponse } from '../gen/shoal/v1/scale';
import { EventsClient } from '../common/client/EventsClient';
import { unaryCall } from '../common/client/grpcCall';
import { waitFor } from '../common/time/waitFor';
import { ControlPlaneCluster } from '../test/support/controlPlaneCluster';
import { summarize } from './stats';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);
const POLICY = { minWorkers: 1, maxWorkers: 3, scaleUpBacklogPerWorker: 20, upWindowMs: 2000, downWindowMs: 5000, cooldownMs: 3000 };

export async function scale(): Promise<Record<string, unknown>> {
  console.log(`policy: ${JSON.stringify(POLICY)}`);
  const cluster = await ControlPlaneCluster.start({ cluster: 'bench-scale', controlPlanes: 1, workers: 1, events: { concurrency: 2 }, scaling: POLICY });
  const events = new EventsClient({ consul: cluster.consul.api, cluster: 'bench-scale' });
  try {
    await cluster.ready(60_000);
    const scaleClient = await cluster.scale();
    const policy = () => unaryCall<GetPolicyResponse>((m, o, cb) => scaleClient.getPolicy({}, m, o, cb), Date.now() + 5000);
    const toDecision: number[] = [];
    const toServing: number[] = [];
    const toMin: number[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      await waitFor('one worker', async () => (await policy()).workers === 1 && (await policy()).desiredWorkers === 1, { timeoutMs: 60_000, intervalMs: 100 });
      const start = Date.now();
      for (let i = 0; i < 3; i++) await events.publishBatch(Array.from({ length: 100 }, () => ({ type: 'sleep', payload: Buffer.from('{"ms":100}') })));
      const up = await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_SCALED_UP, '', start, 30_000);
      await waitFor('a second worker running', async () => (await policy()).workers >= 2, { timeoutMs: 30_000, intervalMs: 20 });
      const serving = Date.now();
      await waitFor(
        'the backlog processed',
        async () => {
          const b = await events.backlog();
          return b.pending + b.leased === 0;
        },
        { timeoutMs: 120_000, intervalMs: 50 },
      );
      const idle = Date.now();
      await waitFor('back at one worker', async () => (await policy()).workers === 1 && (await policy()).desiredWorkers === 1, {
        timeoutMs: 60_000,
        intervalMs: 50,
      });
      const atMin = Date.now();
      toDecision.push(up.atUnixMs - start);
      toServing.push(serving - start);
      toMin.push(atMin - idle);
      console.log(
        `  trial ${trial}: threshold crossed → scale-up decided ${up.atUnixMs - start} ms, → added worker running ${serving - start} ms; load gone → back at min ${atMin - idle} ms`,
      );
    }
    scaleClient.close();
    return {
      policy: POLICY,
      upDecided: summarize('threshold crossed → scale-up decided', toDecision),
      addedServing: summarize('threshold crossed → added worker running', toServing),
      backAtMin: summarize('backlog processed → back at the minimum', toMin),
    };
  } finally {
    events.close();
    await cluster.stop();
  }
}
