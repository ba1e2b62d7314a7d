import assert from 'node:assert/strict';
import { type ServiceError, status } from '@grpc/grpc-js';
import { ClusterEventKind, type GetPolicyResponse, type ScaleClient, type ScaleWorkersResponse, type SetPolicyResponse } from '../../gen/shoal/v1/scale';
import { EventsClient } from '../../common/client/EventsClient';
import { unaryCall } from '../../common/client/grpcCall';
import { waitFor } from '../../common/time/waitFor';
import { detailsOf } from '../../control-plane/events/EventJournal';
import { ControlPlaneCluster } from '../support/controlPlaneCluster';

// The seed's scenario 4, with short windows: start minimal, load, watch workers grow; stop the
// load, watch them drain back to the minimum; no event lost.
describe('scenario 4 (autoscaling): workers scale with the load, and back', function () {
  this.timeout(120_000);
  let cluster: ControlPlaneCluster;
  let events: EventsClient;
  let scale: ScaleClient;
  const policy = () => unaryCall<GetPolicyResponse>((m, o, cb) => scale.getPolicy({}, m, o, cb), Date.now() + 5000);

  before(async function () {
    cluster = await ControlPlaneCluster.start({
      cluster: 'scale',
      workers: 1,
      events: { concurrency: 2 },
      scaling: { minWorkers: 1, maxWorkers: 3, scaleUpBacklogPerWorker: 20, upWindowMs: 1000, downWindowMs: 3000, cooldownMs: 2000 },
    });
    await cluster.ready();
    events = new EventsClient({ consul: cluster.consul.api, cluster: 'scale' });
    scale = await cluster.scale();
  });

  after(async function () {
    events?.close();
    scale?.close();
    await cluster?.stop();
  });

  it('adds workers under load and drains them back to the minimum after, processing every event', async function () {
    const since = Date.now();
    // Consul passing is not yet counted: the control plane also waits for the worker's stream.
    await waitFor('the one worker counted', async () => (await policy()).workers === 1, { timeoutMs: 15_000, intervalMs: 100 });
    for (let i = 0; i < 4; i++) await events.publishBatch(Array.from({ length: 100 }, () => ({ type: 'sleep', payload: Buffer.from('{"ms":100}') })));
    const grown = await waitFor(
      'more workers than the minimum',
      async () => {
        const p = await policy();
        return p.workers > 1 && p;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.ok(grown.desiredWorkers <= 3);
    const up = await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_SCALED_UP, '', since);
    assert.match(up.reason, /pending events per worker, above 20/);
    assert.ok(Number(detailsOf(up).backlog) > 20, 'the decision carries the figures behind it');

    await waitFor(
      'the backlog processed',
      async () => {
        const b = await events.backlog();
        return b.pending + b.leased === 0;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await waitFor(
      'back to one worker',
      async () => {
        const p = await policy();
        return p.workers === 1 && p.desiredWorkers === 1;
      },
      { timeoutMs: 40_000, intervalMs: 200 },
    );
    const down = await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_SCALED_DOWN, '', since);
    assert.match(detailsOf(down).drained, /^worker(-\d+)?$/);
    const b = await events.backlog();
    assert.equal(b.dead, 0);
    assert.ok(b.done >= 400, `${b.done} events done`);
  });

  it('sets workers by hand within min and max, and refuses a policy that cannot work, naming the field', async function () {
    const call = <T>(fn: (m: never, o: { deadline: number }, cb: (e: ServiceError | null, r: T) => void) => void) =>
      unaryCall<T>(fn as never, Date.now() + 30_000);
    const tooMany = await call<ScaleWorkersResponse>((m, o, cb) => scale.scaleWorkers({ workers: 9 }, m, o, cb)).catch((e: ServiceError) => e);
    assert.equal((tooMany as ServiceError).code, status.INVALID_ARGUMENT);
    assert.match((tooMany as ServiceError).details, /from min_workers 1 to max_workers 3/);
    const set = await call<ScaleWorkersResponse>((m, o, cb) => scale.scaleWorkers({ workers: 2 }, m, o, cb));
    assert.equal(set.desiredWorkers, 2);
    const now = await waitFor(
      'two workers running',
      async () => {
        const p = await policy();
        return p.workers === 2 && p;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(now.policy?.enabled, false, 'scaling by hand turns automatic scaling off');

    const bad = await call<SetPolicyResponse>((m, o, cb) => scale.setPolicy({ policy: { ...now.policy!, maxWorkers: 0, minWorkers: 1 } }, m, o, cb)).catch(
      (e: ServiceError) => e,
    );
    assert.equal((bad as ServiceError).code, status.INVALID_ARGUMENT);
    assert.match((bad as ServiceError).details, /policy\.max_workers is 0, below minWorkers \(1\)/);
    const on = await call<SetPolicyResponse>((m, o, cb) => scale.setPolicy({ policy: { ...now.policy!, enabled: true } }, m, o, cb));
    assert.equal(on.policy?.enabled, true);
  });
});
