import assert from 'node:assert/strict';
import { credentials, type ServiceError, status } from '@grpc/grpc-js';
import { type AckRequest, EventsClient as EventsGrpcClient, EventState, type LeasedEvent, type PublishResponse } from '../../gen/shoal/v1/events';
import { EventsClient } from '../../common/client/EventsClient';
import { unaryCall } from '../../common/client/grpcCall';
import { waitFor } from '../../common/time/waitFor';
import { StateCluster } from '../support/stateCluster';

/** A short events.dedupeWindow, so the test sees a keyed done event removed. */
const DEDUPE_WINDOW_MS = 1500;

/** No workers: the test leases and acks by hand. */
describe('events in batches (a primary, 2 replicas, no workers)', function () {
  let c: StateCluster;
  let events: EventsClient;

  before(async function () {
    c = await StateCluster.start({ cluster: 'events-batch', events: { dedupeWindow: DEDUPE_WINDOW_MS } });
    events = new EventsClient({ consul: c.consul.api, cluster: 'events-batch' });
  });

  after(async function () {
    events?.close();
    await c?.stop();
  });

  const err = (p: Promise<unknown>) =>
    p.then(
      () => assert.fail('expected an error'),
      (e: ServiceError) => e,
    );
  const ackOf = (l: LeasedEvent, over: Partial<AckRequest> = {}): AckRequest => ({
    workerId: 'w1',
    eventId: l.event!.id,
    leaseId: l.leaseId,
    success: true,
    result: Buffer.from('"ok"'),
    error: '',
    permanent: false,
    traceparent: '',
    ...over,
  });
  /** Publishes `n` events and leases them all to w1. */
  const leased = async (n: number, leaseMs = 0): Promise<LeasedEvent[]> => {
    const published = await events.publishBatch(Array.from({ length: n }, (_, i) => ({ type: 'hash', payload: Buffer.from(`b${i}`) })));
    const got = await events.lease('w1', n, 0, leaseMs);
    assert.deepEqual(got.map((l) => l.event!.id).sort(), published.map((p) => p.eventId).sort());
    return got;
  };

  // First: the key counts it compares are the only events of the cluster then.
  it('removes done events from every node: one without a key at its ack, one with a key after events.dedupeWindow, answering repeats until then', async function () {
    const nodes = ['primary', 'replica-1', 'replica-2'];
    const keysOn = () => Promise.all(nodes.map((id) => c.metric(id, 'shoal_state_keys')));
    const keysBecome = (want: number[], what: string) =>
      waitFor(what, async () => (await keysOn()).every((k, i) => k === want[i]), { timeoutMs: 10_000, intervalMs: 50 });
    const before = await keysOn();
    const published = await events.publishBatch([{ type: 'hash' }, { type: 'hash' }, { type: 'hash' }, { type: 'hash', idempotencyKey: 'keep-me' }]);
    await keysBecome(
      before.map((k) => k + 4),
      'four queued events on every node',
    );
    const got = await events.lease('w1', 4, 0);
    const acked = await events.ackBatch(got.map((l) => ackOf(l)));
    assert.ok(acked.every((a) => a.state === EventState.EVENT_STATE_DONE));
    await keysBecome(
      before.map((k) => k + 1),
      'only the keyed done event left on every node',
    );
    const repeat = await events.publish({ type: 'hash', idempotencyKey: 'keep-me' });
    assert.deepEqual([repeat.eventId, repeat.duplicate], [published[3].eventId, true], 'within the window, a repeat is the first event');
    await keysBecome(before, 'the keyed done event removed after the window, on every node');
    const anew = await events.publish({ type: 'hash', idempotencyKey: 'keep-me' });
    assert.deepEqual([anew.eventId, anew.duplicate], [published[3].eventId, false], 'after the window, the key publishes anew (with the same id)');
    const [again] = await events.lease('w1', 1, 0);
    assert.equal(again.event!.id, anew.eventId);
    await events.ackBatch([ackOf(again)]);
  });

  it('publishes a batch as one write of consecutive entries; a repeated idempotency key, in the batch or before it, is a duplicate', async function () {
    const [first] = await events.publishBatch([{ type: 'hash', idempotencyKey: 'before' }]);
    const plain = await events.publishBatch(Array.from({ length: 5 }, () => ({ type: 'hash' })));
    assert.deepEqual(
      plain.map((p) => p.position - plain[0].position),
      [0, 1, 2, 3, 4],
    );
    assert.ok(plain.every((p) => !p.duplicate && p.term === 1));
    const mixed = await events.publishBatch([
      { type: 'hash', idempotencyKey: 'twice' },
      { type: 'hash' },
      { type: 'hash', idempotencyKey: 'twice' },
      { type: 'hash', idempotencyKey: 'before' },
    ]);
    assert.deepEqual(
      mixed.map((p) => p.duplicate),
      [false, false, true, true],
    );
    assert.equal(mixed[2].eventId, mixed[0].eventId);
    assert.deepEqual([mixed[3].eventId, mixed[3].position], [first.eventId, first.position]);
    // Each event is in the queue once.
    const got = await events.lease('w1', 100, 0);
    assert.deepEqual(got.map((l) => l.event!.id).sort(), [first, ...plain, mixed[0], mixed[1]].map((p) => p.eventId).sort());
    const acked = await events.ackBatch(got.map((l) => ackOf(l)));
    assert.ok(acked.every((a) => a.state === EventState.EVENT_STATE_DONE));
  });

  it('takes each ack of a batch on its own: done, retried, dead-lettered; a stale lease and a repeated ack fail alone', async function () {
    const before = await events.backlog();
    const [done, retried, dead, stale] = await leased(4);
    const results = await events.ackBatch([
      ackOf(done),
      ackOf(retried, { success: false, error: 'flaky' }),
      ackOf(dead, { success: false, error: 'no handler', permanent: true }),
      ackOf(stale, { leaseId: 'not-the-lease' }),
      ackOf(done),
    ]);
    assert.deepEqual(
      results.map((r) => [r.code, r.state]),
      [
        [status.OK, EventState.EVENT_STATE_DONE],
        [status.OK, EventState.EVENT_STATE_PENDING],
        [status.OK, EventState.EVENT_STATE_DEAD],
        [status.FAILED_PRECONDITION, EventState.EVENT_STATE_UNSPECIFIED],
        [status.FAILED_PRECONDITION, EventState.EVENT_STATE_UNSPECIFIED],
      ],
    );
    assert.match(results[3].message, new RegExp(`event ${stale.event!.id} is not leased to w1 under lease not-the-lease any more`));
    const after = await events.backlog();
    assert.deepEqual([after.done - before.done, after.dead - before.dead, after.leased], [1, 1, 1], 'the stale ack left its lease alone');
    // The retried event is pending again, with its attempt and error recorded; the stale one is still leased.
    const again = await events.lease('w1', 10, 0);
    assert.deepEqual(
      again.map((l) => [l.event!.id, l.event!.attempts, l.event!.lastError]),
      [[retried.event!.id, 1, 'flaky']],
    );
    assert.deepEqual(
      (await events.ackBatch([ackOf(stale), ackOf(again[0])])).map((r) => r.state),
      [EventState.EVENT_STATE_DONE, EventState.EVENT_STATE_DONE],
    );
    assert.equal((await events.deadLetters()).find((e) => e.id === dead.event!.id)?.lastError, 'no handler');
  });

  it('refuses an ack of an expired lease, and the event is delivered again', async function () {
    const [l] = await leased(1, 100);
    await waitFor('the lease to expire', async () => (await events.backlog()).leased === 0, { timeoutMs: 5000, intervalMs: 20 });
    const [result] = await events.ackBatch([ackOf(l)]);
    assert.equal(result.code, status.FAILED_PRECONDITION);
    // The lease is gone before the expiry's retry count is written; the event is leasable once it is.
    const again = await events.lease('w1', 1, 5000);
    assert.deepEqual(
      again.map((a) => [a.event!.id, a.event!.attempts]),
      [[l.event!.id, 1]],
    );
    assert.equal((await events.ack(ackOf(again[0]))).state, EventState.EVENT_STATE_DONE);
  });

  it('refuses a bad batch as a whole with INVALID_ARGUMENT naming the field', async function () {
    const empty = await err(events.ackBatch([]));
    assert.equal(empty.code, status.INVALID_ARGUMENT);
    assert.match(empty.details, /acks must hold 1 to 100 acks \(got 0\)/);
    const [l] = await leased(1);
    const missing = await err(events.ackBatch([ackOf(l), ackOf(l, { leaseId: '' })]));
    assert.equal(missing.code, status.INVALID_ARGUMENT);
    assert.match(missing.details, /missing: acks\[1\]\.lease_id/);
    const single = await err(events.ack(ackOf(l, { workerId: '', eventId: '' })));
    assert.match(single.details, /missing: worker_id, event_id/);
    // Nothing of the refused batch was taken: the lease still holds.
    assert.equal((await events.ack(ackOf(l))).state, EventState.EVENT_STATE_DONE);
  });

  it('answers a repeated publish only once the replicas hold the first (a retry after a timeout is not an acknowledgement)', async function () {
    const primary = new EventsGrpcClient(c.nodes.grpc('primary'), credentials.createInsecure());
    const publish = () =>
      unaryCall<PublishResponse>(
        (m, o, cb) => primary.publish({ type: 'hash', key: '', payload: Buffer.alloc(0), idempotencyKey: 'slow-replicas' }, m, o, cb),
        Date.now() + 1500,
      );
    const replicas = ['replica-1', 'replica-2'].map((id) => c.nodes.node(id));
    try {
      for (const r of replicas) r.signal('SIGSTOP');
      // Committed on the primary, acknowledged by no replica: not acknowledged.
      const first = await err(publish());
      assert.ok([status.UNAVAILABLE, status.DEADLINE_EXCEEDED].includes(first.code), `first: ${first.code} ${first.details}`);
      // The retry finds the record on the primary, and still must not call it published.
      const retry = await err(publish());
      assert.ok([status.UNAVAILABLE, status.DEADLINE_EXCEEDED].includes(retry.code), `retry: ${retry.code} ${retry.details}`);
    } finally {
      for (const r of replicas) r.signal('SIGCONT');
    }
    const settled = await waitFor('the replicas back, and the retry answered', () => publish().catch(() => undefined), { timeoutMs: 15_000 });
    assert.equal(settled.duplicate, true);
    primary.close();
  });
});
