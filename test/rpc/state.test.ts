import assert from 'node:assert/strict';
import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { DeleteRequest, GetRequest, ListRequest, PutRequest, WatchRequest } from '../../gen/shoal/v1/state';
import { WRITTEN_METADATA_KEY } from '../../common/cluster/primaryMetadataKey';
import { waitFor } from '../../common/time/waitFor';
import { call, grpcError } from '../support/grpcClients';
import { type RpcNode, startCall, startRpcNode } from '../support/rpcNode';

describe('State, served in-process by a primary', function () {
  let node: RpcNode | undefined;

  afterEach(async function () {
    await node?.stop();
    node = undefined;
  });

  describe('with bad input', function () {
    beforeEach(async function () {
      node = await startRpcNode();
    });

    it('should answer Put, Get and Delete of an empty key INVALID_ARGUMENT naming key', async function () {
      const { state } = node!;
      for (const err of [
        await grpcError(call(state, state.put, PutRequest.fromPartial({ key: '' }))),
        await grpcError(call(state, state.get, GetRequest.fromPartial({ key: '' }))),
        await grpcError(call(state, state.delete, DeleteRequest.fromPartial({ key: '' }))),
      ]) {
        assert.equal(err.code, status.INVALID_ARGUMENT);
        assert.match(err.details, /^key must not be empty/);
      }
    });

    it('should answer a Put of a value over 1 MiB INVALID_ARGUMENT naming value', async function () {
      const err = await grpcError(call(node!.state, node!.state.put, PutRequest.fromPartial({ key: 'k', value: Buffer.alloc(1024 * 1024 + 1) })));
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(err.details, /^value is 1048577 bytes; the limit is 1048576 bytes/);
    });

    it('should answer a List over the largest page, or with a page token of another prefix, INVALID_ARGUMENT naming the field', async function () {
      const { state } = node!;
      const limit = await grpcError(call(state, state.list, ListRequest.fromPartial({ prefix: 'a/', limit: 1001 })));
      assert.equal(limit.code, status.INVALID_ARGUMENT);
      assert.match(limit.details, /^limit is 1001; the largest page is 1000/);
      const token = await grpcError(call(state, state.list, ListRequest.fromPartial({ prefix: 'a/', pageToken: Buffer.from('b/1').toString('base64url') })));
      assert.equal(token.code, status.INVALID_ARGUMENT);
      assert.match(token.details, /^page_token does not belong to this prefix/);
    });

    it('should end a Watch of a prefix holding NUL with INVALID_ARGUMENT naming prefix', async function () {
      const stream = node!.state.watch(WatchRequest.fromPartial({ prefix: 'a\u0000' }));
      const err = await new Promise<ServiceError>((resolve) => stream.on('error', resolve));
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(err.details, /^prefix must not contain NUL/);
    });

    it('should answer a compare-and-set with the wrong version ABORTED, naming the versions', async function () {
      const { state } = node!;
      await call(state, state.put, PutRequest.fromPartial({ key: 'k', value: Buffer.from('1') }));
      const err = await grpcError(call(state, state.put, PutRequest.fromPartial({ key: 'k', value: Buffer.from('2'), expectedVersion: 7 })));
      assert.equal(err.code, status.ABORTED);
      assert.match(err.details, /^compare-and-set failed: key "k" is at version 1, not the expected 7/);
    });
  });

  describe('near a deadline', function () {
    it('should answer a Get waiting for a min_position beyond the log UNAVAILABLE just before the deadline', async function () {
      node = await startRpcNode();
      const started = Date.now();
      const err = await grpcError(call(node.state, node.state.get, GetRequest.fromPartial({ key: 'k', minPosition: 1000 }), 300));
      assert.equal(err.code, status.UNAVAILABLE);
      assert.match(err.details, /has applied up to position 0, not yet min_position 1000/);
      assert.ok(Date.now() - started < 2000);
      assert.equal(node.replication.feed.waiting, 0, 'the wait is over');
    });

    it('should answer a Put no replica acknowledges UNAVAILABLE before the deadline (sync.minAcks 1, one replica connected)', async function () {
      node = await startRpcNode({ minAcks: 1 });
      node.replication.acks!.connect('replica-1', 0);
      const err = await grpcError(call(node.state, node.state.put, PutRequest.fromPartial({ key: 'k', value: Buffer.from('v') }), 300));
      assert.equal(err.code, status.UNAVAILABLE);
      assert.match(err.details, /applied on 0 of the 1 replicas required \(sync\.minAcks\) before the deadline/);
    });

    it('should refuse a Put at once, UNAVAILABLE and marked not written, when too few replicas are connected', async function () {
      node = await startRpcNode({ minAcks: 1 });
      const err = await grpcError(call(node.state, node.state.put, PutRequest.fromPartial({ key: 'k', value: Buffer.from('v') })));
      assert.equal(err.code, status.UNAVAILABLE);
      assert.match(err.details, /only 0 of the 1 replicas .* are connected; nothing was written/);
      assert.deepEqual(err.metadata.get(WRITTEN_METADATA_KEY), ['false']);
      assert.equal(node.store.lastPosition, 0);
    });
  });

  describe('when the client cancels', function () {
    it('should stop a Get waiting for a min_position beyond the log, and not log it as an internal error', async function () {
      node = await startRpcNode();
      const { state, replication } = node;
      const pending = startCall((done) =>
        state.get(GetRequest.fromPartial({ key: 'k', minPosition: 1000 }), new Metadata(), { deadline: Date.now() + 30_000 }, done),
      );
      await waitFor('the Get to wait for its position', () => replication.feed.waiting === 1, { timeoutMs: 2000, intervalMs: 5 });
      pending.call.cancel();
      assert.equal((await pending.outcome)?.code, status.CANCELLED);
      await waitFor('the server to stop waiting', () => replication.feed.waiting === 0, { timeoutMs: 2000, intervalMs: 5 });
      assert.deepEqual(node.internalErrors(), []);
    });

    it('should stop a Put waiting for acks (the write stays committed), and not log it as an internal error', async function () {
      node = await startRpcNode({ minAcks: 1 });
      const { state, replication } = node;
      const acks = replication.acks!;
      acks.connect('replica-1', 0);
      const pending = startCall((done) =>
        state.put(PutRequest.fromPartial({ key: 'k', value: Buffer.from('v') }), new Metadata(), { deadline: Date.now() + 30_000 }, done),
      );
      await waitFor('the Put to wait for acks', () => acks.waiting === 1, { timeoutMs: 2000, intervalMs: 5 });
      pending.call.cancel();
      assert.equal((await pending.outcome)?.code, status.CANCELLED);
      await waitFor('the server to stop waiting', () => acks.waiting === 0, { timeoutMs: 2000, intervalMs: 5 });
      assert.equal(node.store.stored('k')?.value.toString(), 'v');
      assert.deepEqual(node.internalErrors(), []);
    });
  });

  describe('when the node drains', function () {
    it('should answer a waiting Get UNAVAILABLE at once, so the client reads elsewhere', async function () {
      node = await startRpcNode();
      const { state, replication, lifecycle } = node;
      const pending = startCall((done) =>
        state.get(GetRequest.fromPartial({ key: 'k', minPosition: 1000 }), new Metadata(), { deadline: Date.now() + 30_000 }, done),
      );
      await waitFor('the Get to wait for its position', () => replication.feed.waiting === 1, { timeoutMs: 2000, intervalMs: 5 });
      lifecycle.drain();
      const err = await pending.outcome;
      assert.equal(err?.code, status.UNAVAILABLE);
      assert.match(err?.details ?? '', /the server is stopping; retry on another node/);
      assert.equal(replication.feed.waiting, 0);
    });
  });
});
