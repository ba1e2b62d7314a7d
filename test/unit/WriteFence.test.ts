import assert from 'node:assert/strict';
import pino from 'pino';
import { waitFor } from '../../common/time/waitFor';
import { FencedWrite, WriteFence } from '../../services/node/replication/WriteFence';

// The fence's gate on a leader record and replicas held in memory.

function setUp(record: () => Promise<boolean>, replicasToConfirm = 1) {
  const asked: number[] = [];
  const fence = new WriteFence(3, pino({ level: 'silent' }), {
    recordNamesUs: (term) => (asked.push(term), record()),
    replicasToConfirm,
  });
  return { fence, asked };
}

describe('WriteFence', function () {
  it('refuses writes while fenced, saying nothing was written', function () {
    const { fence } = setUp(() => Promise.resolve(true));
    assert.equal(fence.refusal(), undefined, 'open before any fence');
    fence.fence(60_000);
    const refused = fence.refusal();
    assert.ok(refused instanceof FencedWrite);
    assert.equal(refused.kind, 'unavailable');
    assert.equal(refused.hints['shoal-written'], 'false');
    assert.match(refused.message, /fenced for a switchover/);
    fence.close();
  });

  it('takes writes again after it runs out only once the leader record still names it in its term', async function () {
    let names = false;
    const { fence, asked } = setUp(() => Promise.resolve(names));
    fence.fence(100);
    await waitFor('the expiry to ask Consul', () => asked.length >= 1, { timeoutMs: 2000 });
    assert.deepEqual(asked, [3]);
    assert.match(fence.refusal()?.message ?? '', /has not yet confirmed it is still the primary of term 3/);
    names = true;
    // The refused write above started another confirmation.
    await waitFor('writes to resume', () => fence.refusal() === undefined, { timeoutMs: 2000 });
  });

  it('stays closed while Consul cannot be read, until enough replicas stream to it in its term after the fence', async function () {
    const { fence, asked } = setUp(() => Promise.reject(new Error('connection refused')), 2);
    fence.heardFromReplica('replica-1');
    fence.heardFromReplica('replica-2');
    fence.fence(100);
    await waitFor('the expiry to try Consul', () => asked.length >= 1, { timeoutMs: 2000 });
    assert.ok(fence.refusal(), 'replicas heard before the fence ended do not count');
    // Consul was asked, so the fence has ended by now; a message echoed in the very millisecond it
    // ended does not count (it may predate it), so these are heard a millisecond on.
    const after = Date.now() + 1;
    fence.heardFromReplica('replica-1', after);
    assert.ok(fence.refusal(), 'one of the two it needs');
    fence.heardFromReplica('replica-2', after);
    assert.equal(fence.refusal(), undefined);
  });

  it('lifts at once when an aborted switchover asks, confirming first', async function () {
    const { fence, asked } = setUp(() => Promise.resolve(true));
    fence.fence(60_000);
    assert.equal(await fence.lift(), true);
    assert.deepEqual(asked, [3]);
    assert.equal(fence.refusal(), undefined);
  });
});
