import assert from 'node:assert/strict';
import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  FenceRequest,
  FollowRequest,
  GetBucketRequest,
  GetDigestRequest,
  GetPositionRequest,
  ListConflictsRequest,
  ReplicateRequest,
  type ReplicateHello,
  type ReplicateResponse,
} from '../../gen/shoal/v1/sync';
import { PutRequest } from '../../gen/shoal/v1/state';
import { waitFor } from '../../common/time/waitFor';
import { LOG_VERSION } from '../../services/node/replication/wire';
import { BUCKETS } from '../../services/node/store/StateStore';
import { call, grpcError } from '../support/grpcClients';
import { type RpcNode, startCall, startRpcNode } from '../support/rpcNode';

/**
 * Opens a Replicate stream on `node` as replica-1 and sends its hello (term 1, at position 0,
 * with the primary's term history, unless `hello` says otherwise); collects the positions of the
 * batches it is sent.
 */
function openReplicate(node: RpcNode, hello: Partial<ReplicateHello> = {}) {
  const stream = node.sync.replicate();
  const batches: number[] = [];
  stream.on('data', (r: ReplicateResponse) => r.message?.$case === 'batch' && batches.push(...r.message.value.entries.map((e) => e.position)));
  const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
  const termHistory = node.store.termHistory().map((t) => ({ term: t.term, startPosition: t.startPosition }));
  const value = { replicaId: 'replica-1', term: 1, lastPosition: 0, termHistory, logVersion: LOG_VERSION, ...hello };
  stream.write(ReplicateRequest.fromPartial({ message: { $case: 'hello', value } }));
  const ack = (appliedPosition: number) => stream.write(ReplicateRequest.fromPartial({ message: { $case: 'ack', value: { term: 1, appliedPosition } } }));
  return { stream, batches, ended, ack };
}

describe('Sync, served in-process by a primary', function () {
  let node: RpcNode | undefined;

  afterEach(async function () {
    await node?.stop();
    node = undefined;
  });

  describe('with bad input', function () {
    beforeEach(async function () {
      node = await startRpcNode();
    });

    it('should answer a Fence with a timeout out of range INVALID_ARGUMENT naming timeout_ms', async function () {
      const err = await grpcError(call(node!.sync, node!.sync.fence, FenceRequest.fromPartial({ timeoutMs: 50, term: 1 })));
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(err.details, /^timeout_ms must be from 100 to 60000, got 50/);
    });

    it('should answer a Follow without a primary, or of itself, INVALID_ARGUMENT naming the field', async function () {
      const { sync } = node!;
      const missing = await grpcError(call(sync, sync.follow, FollowRequest.fromPartial({ term: 2, primaryId: 'replica-1' })));
      assert.equal(missing.code, status.INVALID_ARGUMENT);
      assert.match(missing.details, /^primary_id and primary_address are required/);
      const itself = await grpcError(call(sync, sync.follow, FollowRequest.fromPartial({ term: 2, primaryId: 'primary', primaryAddress: node!.address })));
      assert.equal(itself.code, status.INVALID_ARGUMENT);
      assert.match(itself.details, /a node cannot follow itself/);
    });

    it('should answer a GetBucket past the last bucket, or a ListConflicts over 1000, INVALID_ARGUMENT naming the field', async function () {
      const { sync } = node!;
      const bucket = await grpcError(call(sync, sync.getBucket, GetBucketRequest.fromPartial({ term: 1, bucket: BUCKETS })));
      assert.equal(bucket.code, status.INVALID_ARGUMENT);
      assert.match(bucket.details, new RegExp(`^bucket must be below ${BUCKETS}`));
      const conflicts = await grpcError(call(sync, sync.listConflicts, ListConflictsRequest.fromPartial({ limit: 1001 })));
      assert.equal(conflicts.code, status.INVALID_ARGUMENT);
      assert.match(conflicts.details, /^limit must be at most 1000/);
    });

    it('should answer a Fence or a GetDigest of another term FAILED_PRECONDITION naming both terms', async function () {
      const { sync } = node!;
      for (const err of [
        await grpcError(call(sync, sync.fence, FenceRequest.fromPartial({ timeoutMs: 1000, term: 7 }))),
        await grpcError(call(sync, sync.getDigest, GetDigestRequest.fromPartial({ term: 7, atPosition: 0 }))),
      ]) {
        assert.equal(err.code, status.FAILED_PRECONDITION);
        assert.match(err.details, /^term 7 is not this primary's term 1/);
      }
    });

    it('should end a Replicate stream whose hello has a term history that is no history with INVALID_ARGUMENT saying what is wrong', async function () {
      const helloWith = (termHistory: { term: number; startPosition: number }[]) => openReplicate(node!, { termHistory }).ended;
      for (const [history, message] of [
        [Array.from({ length: 10_001 }, (_, i) => ({ term: 1, startPosition: i })), /lists 10001 terms, more than 10000/],
        [[{ term: 5, startPosition: 1 }], /names term 5, newer than the hello's term 1/],
        [[{ term: 1, startPosition: 9 }], /starts term 1 at 9, past its last position 0/],
        [
          [
            { term: 1, startPosition: 1 },
            { term: 1, startPosition: 1 },
          ],
          /is out of order at term 1 \(after term 1 from 1\)/,
        ],
      ] as const) {
        const err = await helloWith([...history]);
        assert.equal(err.code, status.INVALID_ARGUMENT);
        assert.match(err.details, message);
      }
      assert.equal(node!.replication.role, 'primary');
    });

    it('should answer a GetDigest at a position past the primary’s log INVALID_ARGUMENT naming where the log ends', async function () {
      const err = await grpcError(call(node!.sync, node!.sync.getDigest, GetDigestRequest.fromPartial({ term: 1, atPosition: 2 ** 40 })));
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(err.details, /^at_position 1099511627776 is past this primary's log, which ends at 0/);
    });

    it('should end a Replicate stream whose first message is not a hello with INVALID_ARGUMENT', async function () {
      const stream = node!.sync.replicate();
      const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
      stream.write(ReplicateRequest.fromPartial({ message: { $case: 'ack', value: { term: 1, appliedPosition: 0 } } }));
      const err = await ended;
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(err.details, /^the first message must be a hello/);
    });
  });

  describe('from a made-up replica', function () {
    it('should refuse an ack past what the stream sent, ending it INVALID_ARGUMENT, and count only the acks of what was sent', async function () {
      node = await startRpcNode({ minAcks: 1 });
      const { state, replication } = node;
      const put = (key: string) =>
        startCall((done) => state.put(PutRequest.fromPartial({ key, value: Buffer.from('v') }), new Metadata(), { deadline: Date.now() + 5000 }, done));
      const open = () => openReplicate(node!);

      const rogue = open();
      await waitFor('the replica to connect', () => replication.acks!.connected === 1, { timeoutMs: 2000, intervalMs: 5 });
      const first = put('a');
      await waitFor('the write to be sent', () => rogue.batches.length === 1, { timeoutMs: 2000, intervalMs: 5 });
      rogue.ack(rogue.batches[0] + 1000);
      const err = await Promise.race([rogue.ended, first.outcome.then(() => assert.fail('the write was acknowledged on an ack of what was never sent'))]);
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(
        err.details,
        new RegExp(`^ack of position ${rogue.batches[0] + 1000} is past position ${rogue.batches[0]}, the last this stream sent to replica-1`),
      );
      assert.equal(replication.acks!.acknowledged, 0, 'nothing counts as acknowledged');

      const honest = open();
      await waitFor('the write to be sent again', () => honest.batches.length === 1, { timeoutMs: 2000, intervalMs: 5 });
      honest.ack(honest.batches[0]);
      assert.equal(await first.outcome, null, 'an ack of what was sent acknowledges the write');
      honest.stream.cancel();
      assert.deepEqual(node.internalErrors(), []);
    });
  });

  describe('given a term no role change could have made', function () {
    it('should refuse it in a replica hello (FAILED_PRECONDITION) and stay primary of its term', async function () {
      node = await startRpcNode();
      const err = await openReplicate(node, { term: 2 ** 52 }).ended;
      assert.equal(err.code, status.FAILED_PRECONDITION);
      assert.match(err.details, /^replica replica-1 sent term 4503599627370496, beyond what any leader-record change justifies; not adopted/);
      assert.deepEqual([node.replication.role, node.replication.term], ['primary', 1]);
    });

    it('should take the next term from GetPosition at once, and refuse a far one UNAVAILABLE when Consul cannot be read to judge it', async function () {
      node = await startRpcNode();
      const { sync, replication } = node;
      const far = await grpcError(call(sync, sync.getPosition, GetPositionRequest.fromPartial({ term: 1000 }), 5000));
      assert.equal(far.code, status.UNAVAILABLE);
      assert.match(far.details, /^cannot check term 1000 \(GetPosition\) against Consul's leader record/);
      assert.equal(replication.term, 1, 'the far term is not adopted');
      const next = await call(sync, sync.getPosition, GetPositionRequest.fromPartial({ term: 2 }), 5000);
      assert.equal(next.term, 2, 'the next term needs no Consul: a failover pushes it before it writes the record');
    });
  });

  describe('near a deadline', function () {
    it('should answer a Fence still waiting for a write in flight DEADLINE_EXCEEDED at the deadline', async function () {
      node = await startRpcNode({ minAcks: 1 });
      const { state, sync, replication } = node;
      const acks = replication.acks!;
      acks.connect('replica-1', 0);
      const write = startCall((done) =>
        state.put(PutRequest.fromPartial({ key: 'k', value: Buffer.from('v') }), new Metadata(), { deadline: Date.now() + 2000 }, done),
      );
      await waitFor('the Put to wait for acks', () => acks.waiting === 1, { timeoutMs: 2000, intervalMs: 5 });
      const err = await grpcError(call(sync, sync.fence, FenceRequest.fromPartial({ timeoutMs: 5000, term: 1 }), 200));
      assert.equal(err.code, status.DEADLINE_EXCEEDED);
      write.call.cancel();
      await write.outcome;
    });
  });

  describe('when the client cancels', function () {
    it('should disconnect a replica whose Replicate stream is cancelled, so it no longer counts toward sync.minAcks', async function () {
      node = await startRpcNode();
      const { replication } = node;
      const { stream } = openReplicate(node);
      await waitFor('the replica to connect', () => replication.acks!.connected === 1, { timeoutMs: 2000, intervalMs: 5 });
      stream.cancel();
      await waitFor('the replica to disconnect', () => replication.acks!.connected === 0, { timeoutMs: 2000, intervalMs: 5 });
      assert.deepEqual(node.internalErrors(), []);
    });
  });
});
