import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ServiceError, status } from '@grpc/grpc-js';
import { ClusterEventKind } from '../../gen/shoal/v1/scale';
import { EventState } from '../../gen/shoal/v1/events';
import { EventsClient } from '../../common/client/EventsClient';
import { StateClient } from '../../common/client/StateClient';
import { waitFor } from '../../common/time/waitFor';
import { detailsOf } from '../../control-plane/events/EventJournal';
import { ControlPlaneCluster } from '../support/controlPlaneCluster';
import { OtlpReceiver } from '../support/otlpReceiver';
import { outputDir } from '../support/testConsul';

/** Every key under `prefix` (paging through List). */
async function countKeys(state: StateClient, prefix: string): Promise<number> {
  let count = 0;
  let pageToken = '';
  do {
    const page = await state.list(prefix, { limit: 1000, pageToken });
    count += page.entries.length;
    pageToken = page.nextPageToken;
  } while (pageToken);
  return count;
}

describe('distributed event processing (workers lease, run handlers, ack)', function () {
  this.timeout(120_000);
  let cluster: ControlPlaneCluster;
  let events: EventsClient;
  let state: StateClient;
  let receiver: OtlpReceiver;

  before(async function () {
    receiver = await OtlpReceiver.start();
    // Short handler timeout and few attempts, so failures reach the dead-letter list quickly;
    // the lease stays long (30 s), so a dead worker's events come back only if released.
    // A handler module of the user's, named (relative to the config file) in events.handlers.
    writeFileSync(
      join(outputDir('control-plane', 'events'), 'handlers.js'),
      "exports.greet = async (event, ctx) => { await ctx.putOnce('greeted/' + event.id, event.payload); return { hello: event.payload.toString() }; };\n",
    );
    cluster = await ControlPlaneCluster.start({
      cluster: 'events',
      events: { handlerTimeout: 1000, maxAttempts: 3, handlers: 'handlers.js' },
      env: receiver.env,
    });
    await cluster.ready();
    events = new EventsClient({ consul: cluster.consul.api, cluster: 'events' });
    state = new StateClient({ consul: cluster.consul.api, cluster: 'events' });
  });

  after(async function () {
    events?.close();
    state?.close();
    await cluster?.stop();
    await receiver?.close();
  });

  const drained = () =>
    waitFor(
      'every event processed',
      async () => {
        const b = await events.backlog();
        return b.pending === 0 && b.leased === 0 && b;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );

  it('processes every acknowledged event when a worker is killed -9 mid-batch, and counter effects match exactly', async function () {
    // Slow events keep both workers busy; counter events record their effect once each.
    const slow = await events.publishBatch(Array.from({ length: 16 }, () => ({ type: 'sleep', payload: Buffer.from('{"ms":400}') })));
    const counted = await events.publishBatch(Array.from({ length: 100 }, () => ({ type: 'counter', payload: Buffer.from('{"name":"kill9"}') })));
    assert.equal(slow.length + counted.length, 116);
    const holder = await waitFor('a worker holding leases', async () => (await events.backlog()).workers[0]?.workerId, { timeoutMs: 10_000, intervalMs: 20 });
    const since = Date.now();
    cluster.killNode(holder);
    const backlog = await drained();
    assert.equal(backlog.dead, 0);
    assert.ok(backlog.done >= 116, `done ${backlog.done}`);
    assert.equal(await countKeys(state, 'counter/kill9/'), 100, 'each counter event took effect exactly once');
    // The control plane handed the dead worker's leases back at once (the lease is 30 s).
    const restarted = await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RESTARTED, holder, since);
    assert.ok(Number(detailsOf(restarted).leasesReleased) > 0, `leases released: ${detailsOf(restarted).leasesReleased}`);
  });

  it('dead-letters an unknown type at once with its reason, and a failing or hanging handler after its attempts; redrive puts one back', async function () {
    const unknown = await events.publish({ type: 'no-such-type', payload: Buffer.from('x') });
    const failing = await events.publish({ type: 'sleep', payload: Buffer.from('not json') });
    const hanging = await events.publish({ type: 'sleep', payload: Buffer.from('{"ms":5000}') });
    const dead = await waitFor(
      'three dead letters',
      async () => {
        const list = await events.deadLetters();
        return [unknown, failing, hanging].every((p) => list.some((e) => e.id === p.eventId)) && list;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const byId = new Map(dead.map((e) => [e.id, e]));
    assert.equal(byId.get(unknown.eventId)!.attempts, 1, 'no retry for an unknown type');
    assert.match(byId.get(unknown.eventId)!.lastError, /no handler for event type "no-such-type"/);
    assert.equal(byId.get(failing.eventId)!.attempts, 3);
    assert.match(byId.get(failing.eventId)!.lastError, /payload must be JSON/);
    assert.equal(byId.get(hanging.eventId)!.attempts, 3);
    assert.match(byId.get(hanging.eventId)!.lastError, /timed out after 1000 ms/);

    // Redriven: pending again with its attempts reset; it fails again at once (still no handler).
    const redriven = await events.redrive(unknown.eventId);
    assert.deepEqual([redriven?.state, redriven?.attempts], [EventState.EVENT_STATE_PENDING, 0]);
    const again = await waitFor(
      'it to be dead-lettered again',
      async () => (await events.deadLetters()).find((e) => e.id === unknown.eventId && e.publishedAtUnixMs === redriven?.publishedAtUnixMs && e.attempts === 1),
      { timeoutMs: 10_000 },
    );
    assert.match(again.lastError, /no handler/);
  });

  it("runs the handlers of the user's module named in the config, beside the built-ins", async function () {
    const published = await events.publish({ type: 'greet', payload: Buffer.from('world') });
    const effect = await waitFor(
      'the handler to write its effect',
      async () => {
        const got = await state.get(`greeted/${published.eventId}`);
        return got.found && got;
      },
      { timeoutMs: 15_000 },
    );
    assert.equal(Buffer.from(effect.value).toString(), 'world');
  });

  it('makes publish, handler and ack of an event one trace', async function () {
    const published = await events.publish({ type: 'hash', payload: Buffer.from('trace me') });
    assert.ok(published.eventId);
    // The only hash event so far: its handler span leads to its trace.
    const handled = await waitFor('the handler span', () => receiver.spans.find((s) => s.name === 'events.handle hash'), { timeoutMs: 15_000 });
    const names = await waitFor(
      'publish, record write and ack in that trace',
      () => {
        const inTrace = receiver.spans.filter((s) => s.traceId === handled.traceId).map((s) => `${s.service} ${s.name}`);
        return ['shoal-node events.publish', 'shoal-node state.write', 'shoal-node events.ack'].every((n) => inTrace.includes(n)) && inTrace;
      },
      { timeoutMs: 15_000, describe: () => JSON.stringify(receiver.spans.filter((s) => s.traceId === handled.traceId).map((s) => s.name)) },
    );
    assert.ok(names.includes('shoal-node grpc.shoal.v1.Events/Publish'), 'rooted at the Publish call');
    // The ack went in a batch (AckBatch); its span on the primary is a child of the handler's.
    const acked = receiver.spans.find((s) => s.traceId === handled.traceId && s.name === 'events.ack');
    assert.equal(acked?.parentSpanId, handled.spanId);
  });

  it('refuses bad input with the right status: oversized payload, bad type, bad lease request', async function () {
    const err = (p: Promise<unknown>) =>
      p.then(
        () => assert.fail('expected an error'),
        (e: ServiceError) => e,
      );
    const big = await err(events.publish({ type: 'hash', payload: Buffer.alloc(800 * 1024) }));
    assert.equal(big.code, status.INVALID_ARGUMENT);
    assert.match(big.details, /payload is 819200 bytes; the limit is \d+ bytes/);
    const type = await err(events.publish({ type: 'has space' }));
    assert.equal(type.code, status.INVALID_ARGUMENT);
    assert.match(type.details, /type must be 1 to 128 letters/);
    const lease = await err(events.lease('w', 0, 0));
    assert.equal(lease.code, status.INVALID_ARGUMENT);
    // Publishing with one idempotency key twice yields one event.
    const first = await events.publish({ type: 'hash', idempotencyKey: 'order-42' });
    const again = await events.publish({ type: 'hash', idempotencyKey: 'order-42' });
    assert.equal(again.eventId, first.eventId);
    assert.equal(again.duplicate, true);
  });

  it('loses no acknowledged event when the primary is killed -9 while events are published', async function () {
    const acked: string[] = [];
    let stop = false;
    const publisher = (async () => {
      while (!stop) {
        try {
          const r = await events.publish({ type: 'counter', payload: Buffer.from('{"name":"failover"}') }, 15_000);
          acked.push(r.eventId);
        } catch {
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    })();
    try {
      await waitFor('40 events published', () => acked.length >= 40, { timeoutMs: 20_000, intervalMs: 10 });
      const old = await cluster.primary();
      const since = Date.now();
      cluster.killNode(old.primaryId);
      await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_FAILED_OVER, old.primaryId, since);
      const before = acked.length;
      await waitFor('events published on the new primary', () => acked.length >= before + 40, { timeoutMs: 30_000, intervalMs: 10 });
    } finally {
      stop = true;
      await publisher;
    }
    await drained();
    // Every acknowledged event took effect (once: the counter is keyed by event id).
    const effects = await countKeys(state, 'counter/failover/');
    assert.ok(effects >= acked.length, `${effects} effects for ${acked.length} acknowledged events`);
    for (const id of acked) assert.ok((await state.get(`counter/failover/${id}`)).found, `the effect of acknowledged event ${id}`);
  });
});
