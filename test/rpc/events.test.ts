import assert from 'node:assert/strict';
import { Metadata, status } from '@grpc/grpc-js';
import {
  AckBatchRequest,
  AckRequest,
  LeaseRequest,
  ListDeadLettersRequest,
  PublishBatchRequest,
  PublishRequest,
  RedriveRequest,
  ReleaseWorkerRequest,
} from '../../gen/shoal/v1/events';
import { waitFor } from '../../common/time/waitFor';
import { call, grpcError } from '../support/grpcClients';
import { type RpcNode, startCall, startRpcNode } from '../support/rpcNode';

describe('Events, served in-process by a primary', function () {
  let node: RpcNode | undefined;

  afterEach(async function () {
    await node?.stop();
    node = undefined;
  });

  const publish = (n: RpcNode, type = 'hash') => call(n.events, n.events.publish, PublishRequest.fromPartial({ type, payload: Buffer.from('x') }));
  const lease = (n: RpcNode, request: Partial<LeaseRequest>, timeoutMs?: number) =>
    call(n.events, n.events.lease, LeaseRequest.fromPartial({ workerId: 'worker-1', maxEvents: 1, ...request }), timeoutMs);

  describe('with bad input', function () {
    beforeEach(async function () {
      node = await startRpcNode();
    });

    /** Asserts the call fails INVALID_ARGUMENT with details matching `details`. */
    async function refused(promise: Promise<unknown>, details: RegExp): Promise<void> {
      const err = await grpcError(promise);
      assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
      assert.match(err.details, details);
    }

    it('should answer a Publish or PublishBatch with a bad type INVALID_ARGUMENT naming the field', async function () {
      const { events } = node!;
      await refused(publish(node!, 'no spaces'), /^type must be 1 to 128 letters/);
      await refused(call(events, events.publishBatch, PublishBatchRequest.fromPartial({ events: [] })), /^events must hold 1 to 100 events \(got 0\)/);
      const batch = PublishBatchRequest.fromPartial({ events: [{ type: 'ok' }, { type: '' }] });
      await refused(call(events, events.publishBatch, batch), /^events\[1\]\.type must be 1 to 128/);
    });

    it('should answer a Lease without a worker, or with max_events, wait_ms or lease_ms out of range, INVALID_ARGUMENT naming the field', async function () {
      await refused(lease(node!, { workerId: '' }), /^worker_id is required/);
      await refused(lease(node!, { maxEvents: 0 }), /^max_events must be 1 to 100 \(got 0\)/);
      await refused(lease(node!, { waitMs: 30_001 }), /^wait_ms must be at most 30000/);
      await refused(lease(node!, { leaseMs: 50 }), /^lease_ms must be 0 \(default\) or 100 to 3600000 \(got 50\)/);
    });

    it('should answer an Ack or AckBatch missing ids INVALID_ARGUMENT naming them', async function () {
      const { events } = node!;
      await refused(call(events, events.ack, AckRequest.fromPartial({ workerId: 'worker-1' })), /\(missing: event_id, lease_id\)/);
      await refused(call(events, events.ackBatch, AckBatchRequest.fromPartial({ acks: [] })), /^acks must hold 1 to 100 acks \(got 0\)/);
      const batch = AckBatchRequest.fromPartial({
        acks: [
          { workerId: 'worker-1', eventId: 'e', leaseId: 'l' },
          { workerId: 'worker-1', eventId: 'e' },
        ],
      });
      await refused(call(events, events.ackBatch, batch), /\(missing: acks\[1\]\.lease_id\)/);
    });

    it('should answer a ReleaseWorker without a worker, a ListDeadLetters over 1000 and a Redrive without an event INVALID_ARGUMENT naming the field', async function () {
      const { events } = node!;
      await refused(call(events, events.releaseWorker, ReleaseWorkerRequest.fromPartial({})), /^worker_id is required/);
      await refused(call(events, events.listDeadLetters, ListDeadLettersRequest.fromPartial({ limit: 1001 })), /^limit must be at most 1000 \(got 1001\)/);
      await refused(call(events, events.redrive, RedriveRequest.fromPartial({})), /^event_id is required/);
    });

    it('should answer a Redrive of an unknown event NOT_FOUND, and an Ack of a lease that is not held FAILED_PRECONDITION', async function () {
      const { events } = node!;
      const unknown = await grpcError(call(events, events.redrive, RedriveRequest.fromPartial({ eventId: 'no-such-event' })));
      assert.equal(unknown.code, status.NOT_FOUND);
      assert.match(unknown.details, /^no event no-such-event/);
      const { eventId } = await publish(node!);
      const stale = await grpcError(call(events, events.ack, AckRequest.fromPartial({ workerId: 'worker-1', eventId, leaseId: 'not-a-lease', success: true })));
      assert.equal(stale.code, status.FAILED_PRECONDITION);
      assert.match(stale.details, /is not leased to worker-1 under lease not-a-lease/);
    });
  });

  describe('near a deadline', function () {
    it('should answer a Lease waiting past its deadline DEADLINE_EXCEEDED, and lease nothing to it', async function () {
      node = await startRpcNode();
      const err = await grpcError(lease(node, { waitMs: 10_000 }, 200));
      assert.equal(err.code, status.DEADLINE_EXCEEDED);
      await waitFor('the Lease to stop waiting', () => node!.queue.waitingLeases === 0, { timeoutMs: 2000, intervalMs: 5 });
      await publish(node);
      assert.equal((await lease(node, { waitMs: 0 })).events.length, 1, 'the event went to the next Lease');
    });

    it('should answer a Publish no replica acknowledges UNAVAILABLE before the deadline (sync.minAcks 1, one replica connected)', async function () {
      node = await startRpcNode({ minAcks: 1 });
      node.replication.acks!.connect('replica-1', 0);
      const err = await grpcError(call(node.events, node.events.publish, PublishRequest.fromPartial({ type: 'hash' }), 300));
      assert.equal(err.code, status.UNAVAILABLE);
      assert.match(err.details, /applied on 0 of the 1 replicas required \(sync\.minAcks\) before the deadline/);
    });
  });

  describe('when the client cancels', function () {
    it('should stop a waiting Lease, lease nothing to it, and not log it as an internal error', async function () {
      node = await startRpcNode();
      const { events, queue } = node;
      const pending = startCall((done) =>
        events.lease(LeaseRequest.fromPartial({ workerId: 'worker-1', maxEvents: 1, waitMs: 20_000 }), new Metadata(), { deadline: Date.now() + 30_000 }, done),
      );
      await waitFor('the Lease to wait for an event', () => queue.waitingLeases === 1, { timeoutMs: 2000, intervalMs: 5 });
      pending.call.cancel();
      assert.equal((await pending.outcome)?.code, status.CANCELLED);
      await waitFor('the server to stop waiting', () => queue.waitingLeases === 0, { timeoutMs: 2000, intervalMs: 5 });
      await publish(node);
      assert.equal((await lease(node, { waitMs: 0 })).events.length, 1, 'the event went to the next Lease');
      assert.deepEqual(node.internalErrors(), []);
    });

    it('should stop a Publish waiting for acks, and not log it as an internal error', async function () {
      node = await startRpcNode({ minAcks: 1 });
      const { events, replication } = node;
      const acks = replication.acks!;
      acks.connect('replica-1', 0);
      const pending = startCall((done) =>
        events.publish(PublishRequest.fromPartial({ type: 'hash' }), new Metadata(), { deadline: Date.now() + 30_000 }, done),
      );
      await waitFor('the Publish to wait for acks', () => acks.waiting === 1, { timeoutMs: 2000, intervalMs: 5 });
      pending.call.cancel();
      assert.equal((await pending.outcome)?.code, status.CANCELLED);
      await waitFor('the server to stop waiting', () => acks.waiting === 0, { timeoutMs: 2000, intervalMs: 5 });
      assert.deepEqual(node.internalErrors(), []);
    });
  });
});
