import assert from 'node:assert/strict';
import { type ServiceError, status } from '@grpc/grpc-js';
import { ReadConsistency } from '../../gen/shoal/v1/state';
import { unaryCall } from '../../common/client/grpcCall';
import { waitFor } from '../../common/time/waitFor';
import type { ConflictResolution } from '../../gen/shoal/v1/sync';
import { NodeRole } from '../../gen/shoal/v1/node';
import { runCli } from '../support/runCli';
import { StateCluster } from '../support/stateCluster';

/**
 * The scenario 8: two clients race a compare-and-set on one key across a failover, and
 * the old primary reconciles what it wrote but never got acknowledged. At most one succeeds,
 * and its value is the one that stays.
 */
describe('two compare-and-sets with the same expected version across a failover (minAcks 1)', function () {
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster: 'casrace', sync: { minAcks: 1 } });
  });

  after(async function () {
    for (const id of ['primary', 'replica-1', 'replica-2']) c?.nodes.node(id).signal('SIGCONT');
    await c?.stop();
  });

  /** A compare-and-set of `race` at version 1 through `node`: its version, or the error it failed with. */
  const cas = async (node: string, value: string, timeoutMs: number) => {
    const { state } = c.node(node);
    try {
      const r = await unaryCall<{ result?: { version: number } }>(
        (m, o, cb) => state.put({ key: 'race', value: Buffer.from(value), expectedVersion: 1 }, m, o, cb),
        Date.now() + timeoutMs,
      );
      return { ok: true as const, version: r.result!.version };
    } catch (err) {
      return { ok: false as const, err: err as ServiceError };
    }
  };
  const read = async (node: string, minPosition: number) => {
    const { state } = c.node(node);
    const r = await unaryCall<{ found: boolean; value: Buffer; version: number }>(
      (m, o, cb) => state.get({ key: 'race', minPosition, consistency: ReadConsistency.READ_CONSISTENCY_STALE }, m, o, cb),
      Date.now() + 5000,
    );
    return r.found ? Buffer.from(r.value).toString() : undefined;
  };

  it('lets only the one acknowledged on the new primary take effect: the old primary’s unacknowledged one is a conflict, not applied', async function () {
    const { state } = c.node('primary');
    await unaryCall((m, o, cb) => state.put({ key: 'race', value: Buffer.from('base') }, m, o, cb), Date.now() + 5000);
    const base = (await c.position('primary')).position;
    await waitFor(
      'both replicas to hold the base version',
      async () => (await c.position('replica-1')).position >= base && (await c.position('replica-2')).position >= base,
      {
        timeoutMs: 10000,
      },
    );

    // Client A: the primary commits its CAS, but no replica is there to apply it.
    for (const r of ['replica-1', 'replica-2']) c.nodes.node(r).signal('SIGSTOP');
    const a = await cas('primary', 'A', 1500);
    assert.equal(a.ok, false, 'A is not acknowledged');
    assert.equal(a.ok === false && a.err.code, status.UNAVAILABLE);
    assert.ok((await c.position('primary')).position > base, 'the old primary did write A');

    // The primary is cut off; the replicas come back and replica-1 takes over.
    c.nodes.node('primary').signal('SIGSTOP');
    for (const r of ['replica-1', 'replica-2']) c.nodes.node(r).signal('SIGCONT');
    const failover = await runCli(['failover', '--to', 'replica-1', '--cluster', 'casrace', '--timeout', '10000'], { CONSUL_HTTP_ADDR: c.consul.address });
    assert.equal(failover.code, 0, failover.stdout + failover.stderr);

    // Client B: the same expected version, on the new primary: it holds there, and is acknowledged.
    await c.waitForReplicas('replica-1', 1);
    const b = await cas('replica-1', 'B', 5000);
    assert.deepEqual(b, { ok: true, version: 2 });

    // The old primary comes back, steps down, and hands A over for reconciliation.
    c.nodes.node('primary').signal('SIGCONT');
    await c.nodes.node('primary').logLine('reconciled; replacing local state with a snapshot', 20000);
    await waitFor(
      'the old primary to replicate from replica-1 again',
      async () => {
        const p = await c.position('primary');
        return p.role === NodeRole.NODE_ROLE_REPLICA && p.primaryId === 'replica-1' && p.position >= (await c.position('replica-1')).position;
      },
      { timeoutMs: 15000 },
    );

    const settled = (await c.position('replica-1')).position;
    for (const node of ['replica-1', 'replica-2', 'primary']) assert.equal(await read(node, settled), 'B', `${node} holds B, the one that succeeded`);
    const { conflicts } = await unaryCall<{ conflicts: ConflictResolution[] }>(
      (m, o, cb) => c.node('replica-1').sync.listConflicts({ limit: 10 }, m, o, cb),
      Date.now() + 5000,
    );
    const raced = conflicts.filter((x) => x.key === 'race');
    assert.equal(raced.length, 1, JSON.stringify(conflicts));
    assert.equal(Buffer.from(raced[0].winner!.value).toString(), 'B');
    assert.equal(Buffer.from(raced[0].loser!.value).toString(), 'A');
    assert.match(raced[0].reason, /^compare-and-set at version 1 no longer holds/);
  });
});
