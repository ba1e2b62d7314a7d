import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { PromoteRequest, ReplicateRequest, type ReplicateResponse } from '../../gen/shoal/v1/sync';
import { GetRequest } from '../../gen/shoal/v1/state';
import { WRITTEN_METADATA_KEY } from '../../common/cluster/primaryMetadataKey';
import { waitFor } from '../../common/time/waitFor';
import { LOG_VERSION } from '../../services/node/replication/wire';
import { call, grpcError } from '../support/grpcClients';
import { type RpcNode, startRpcNode } from '../support/rpcNode';

describe('the primary lease, and Promote of another start', function () {
  let node: RpcNode | undefined;
  afterEach(async () => {
    await node?.stop();
    node = undefined;
  });

  it('a primary that hears from neither Consul nor its one declared replica refuses reads naming the lease, and serves again once the replica answers', async () => {
    // No Consul listens where this node looks, and its declared replica has not connected.
    node = await startRpcNode({ declaredReplicas: 1, primaryLeaseMs: 300 });
    const { state, sync, replication, store } = node;
    await waitFor('the lease to run out', () => !replication.leaseHeld, { timeoutMs: 3000, intervalMs: 10 });
    const err = await grpcError(call(state, state.get, GetRequest.fromPartial({ key: 'k' })));
    assert.equal(err.code, status.UNAVAILABLE);
    assert.match(
      err.details,
      /primary primary has heard from neither Consul nor enough of its replicas for \d+ ms \(sync.primaryLease 300 ms\): it may have been replaced/,
    );
    assert.equal(err.metadata.get(WRITTEN_METADATA_KEY)[0], 'false');

    const stream = sync.replicate();
    stream.on('error', () => undefined);
    // The replica answers each message, echoing its sequence: that renews the lease, as from when the primary sent it.
    stream.on('data', (m: ReplicateResponse) =>
      stream.write(ReplicateRequest.fromPartial({ message: { $case: 'ack', value: { term: m.term, appliedPosition: 0, echoSequence: m.sequence } } })),
    );
    const hello = {
      replicaId: 'replica-1',
      term: 1,
      lastPosition: 0,
      termHistory: store.termHistory().map((t) => ({ term: t.term, startPosition: t.startPosition })),
      wantSnapshot: false,
      logVersion: LOG_VERSION,
    };
    stream.write(ReplicateRequest.fromPartial({ message: { $case: 'hello', value: hello } }));
    await waitFor('the lease to be held again', () => replication.leaseHeld, { timeoutMs: 2000, intervalMs: 5 });
    const answer = await call(state, state.get, GetRequest.fromPartial({ key: 'k' }));
    assert.equal(answer.found, false);
    stream.cancel();
    assert.deepEqual(node.internalErrors(), []);
  });

  it('refuses a Promote that names another incarnation with FAILED_PRECONDITION', async () => {
    node = await startRpcNode();
    const err = await grpcError(call(node.sync, node.sync.promote, PromoteRequest.fromPartial({ term: 2, incarnation: 'not-this-one' })));
    assert.equal(err.code, status.FAILED_PRECONDITION);
    assert.equal(err.details, 'this is another start of primary (incarnation rpc-test, asked for not-this-one): ask its position again');
  });
});
