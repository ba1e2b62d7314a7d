import assert from 'node:assert/strict';
import { type ServiceError, status } from '@grpc/grpc-js';
import { GetRequest, PutRequest } from '../../gen/shoal/v1/state';
import { type ConflictResolution, ListConflictsRequest, ReconcileRequest, type ReconcileResponse } from '../../gen/shoal/v1/sync';
import { entryToProto } from '../../services/node/replication/wire';
import type { Entry } from '../../services/node/store/types';
import { EVENTS_PREFIX, SYSTEM_PREFIX } from '../../services/node/store/systemKeys';
import { encodeRecord } from '../../services/node/events/eventRecord';
import { call } from '../support/grpcClients';
import { type RpcNode, startRpcNode } from '../support/rpcNode';

describe('Sync.Reconcile of an old primary’s compare-and-set, served in-process by the new primary', function () {
  let node: RpcNode;
  /** The position both logs still share: the old primary wrote its suffix after it. */
  let fork: number;

  beforeEach(async function () {
    node = await startRpcNode();
    for (const key of ['raced', 'untouched', 'chained']) await put(key, 'base');
    fork = node.store.lastPosition;
  });

  afterEach(async function () {
    await node?.stop();
  });

  const put = (key: string, value: string, expectedVersion?: number) =>
    call(node.state, node.state.put, PutRequest.fromPartial({ key, value: Buffer.from(value), expectedVersion }));
  const get = async (key: string) => {
    const r = await call(node.state, node.state.get, GetRequest.fromPartial({ key }));
    return r.found ? Buffer.from(r.value).toString() : undefined;
  };
  const conflicts = async (): Promise<ConflictResolution[]> =>
    (await call(node.sync, node.sync.listConflicts, ListConflictsRequest.fromPartial({ limit: 10 }))).conflicts;
  /** What the old primary wrote at `position` over its version `over` of the key (as it stood at the fork: version 1). */
  const oldEntry = (position: number, key: string, value: string, version: number, expectedVersion?: number): Entry => ({
    position,
    term: 1,
    op: 'put',
    key,
    value: Buffer.from(value),
    version,
    // Later than anything here: last-write-wins alone would pick it.
    hlc: { physicalMs: Date.now() + 60_000, logical: position },
    origin: 'old-primary',
    vclock: { primary: 1, 'old-primary': version - 1 },
    traceParent: '',
    ...(expectedVersion !== undefined && { expectedVersion }),
  });
  const reconcile = (entries: Entry[]) =>
    call<ReconcileRequest, ReconcileResponse>(
      node.sync,
      node.sync.reconcile,
      ReconcileRequest.fromPartial({ term: 1, fromNode: 'old-primary', entries: entries.map(entryToProto), forkPosition: fork }),
    );

  it('records a compare-and-set that no longer holds as a conflict and does not apply it, though it would win last-write-wins', async function () {
    // Acknowledged here: the CAS at version 1 that the client was told succeeded.
    await put('raced', 'cas-on-new-primary', 1);
    const result = await reconcile([oldEntry(fork + 1, 'raced', 'cas-on-old-primary', 2, 1)]);
    assert.deepEqual(result, { applied: 0, discarded: 1, conflicts: 1 });
    assert.equal(await get('raced'), 'cas-on-new-primary');
    const [conflict] = await conflicts();
    assert.equal(conflict.key, 'raced');
    assert.equal(Buffer.from(conflict.winner!.value).toString(), 'cas-on-new-primary');
    assert.equal(Buffer.from(conflict.loser!.value).toString(), 'cas-on-old-primary');
    assert.match(conflict.reason, /^compare-and-set at version 1 no longer holds: the key was written here since the logs parted/);
  });

  it('applies a compare-and-set that still holds (the key unchanged here since the fork), as a compare-and-set again', async function () {
    const result = await reconcile([oldEntry(fork + 1, 'untouched', 'cas-on-old-primary', 2, 1)]);
    assert.deepEqual(result, { applied: 1, discarded: 0, conflicts: 0 });
    assert.equal(await get('untouched'), 'cas-on-old-primary');
    assert.deepEqual(await conflicts(), []);
    const [rewritten] = node.store.readEntries(node.store.lastPosition, 1);
    assert.equal(rewritten.key, 'untouched');
    assert.equal(rewritten.expectedVersion, 1, 'the entry written again keeps its condition, checked here');
  });

  it('applies a compare-and-set over the old primary’s own earlier write once that write is applied, and not when it lost', async function () {
    // chained: an unconditional write, then a CAS over it, both on the old primary; the write wins here.
    // raced: the same, but this primary's later write here beats the unconditional one.
    await put('raced', 'later-here');
    const later = node.store.stored('raced')!;
    const lost = { ...oldEntry(fork + 3, 'raced', 'put-on-old', 2), hlc: { physicalMs: later.hlc.physicalMs - 1, logical: 0 } };
    const result = await reconcile([
      oldEntry(fork + 1, 'chained', 'put-on-old', 2),
      oldEntry(fork + 2, 'chained', 'cas-on-old', 3, 2),
      lost,
      oldEntry(fork + 4, 'raced', 'cas-on-old', 3, 2),
    ]);
    assert.equal(await get('chained'), 'cas-on-old');
    assert.equal(await get('raced'), 'later-here');
    assert.deepEqual(result, { applied: 2, discarded: 2, conflicts: 2 });
    const reasons = (await conflicts()).filter((c) => c.key === 'raced').map((c) => c.reason);
    assert.equal(reasons.length, 2);
    assert.ok(
      reasons.some((r) => /earlier write of the key that it expected was not taken here/.test(r)),
      reasons.join('; '),
    );
  });

  it('weighs an entry without a condition (an unconditional write, or one from an older node) by last-write-wins as before', async function () {
    await put('raced', 'earlier-here');
    const result = await reconcile([oldEntry(fork + 1, 'raced', 'put-on-old', 2)]);
    assert.deepEqual(result, { applied: 1, discarded: 0, conflicts: 1 });
    assert.equal(await get('raced'), 'put-on-old');
  });

  it('refuses, INVALID_ARGUMENT naming the entry, what no node could have written: a malformed event record, another system key, a purge of a user key, a value over the limit; and applies nothing of the request', async function () {
    const event = (id: string, value: Buffer): Entry => ({ ...oldEntry(fork + 2, `${EVENTS_PREFIX}${id}`, '', 1), value });
    const record = encodeRecord({
      id: 'e1',
      type: 't',
      key: '',
      payload: '',
      publishedAtMs: 1,
      attempts: 0,
      state: 'pending',
      lastError: '',
      result: '',
      traceparent: '',
    });
    const cases: [Entry, RegExp][] = [
      [event('e1', Buffer.from('{not json')), /^entries\[1\] \(position \d+\): malformed event record: not JSON/],
      [event('e1', Buffer.from('{"id":"e1"}')), /^entries\[1\] \(position \d+\): malformed event record: type: /],
      [
        { ...oldEntry(fork + 2, `${SYSTEM_PREFIX}leader`, 'x', 1) },
        /^entries\[1\] \(position \d+\): a system key other than an event record; nothing of this Reconcile was applied$/,
      ],
      [{ ...oldEntry(fork + 2, 'untouched', '', 2), op: 'purge' }, /^entries\[1\] \(position \d+\): a purge is only ever of an event record/],
      [
        { ...oldEntry(fork + 2, 'big', '', 1), value: Buffer.alloc(1024 * 1024 + 1) },
        /^entries\[1\] \(position \d+\): value is 1048577 bytes; the limit is 1048576 bytes/,
      ],
      [oldEntry(fork + 2, 'nul\u0000key', 'x', 1), /^entries\[1\] \(position \d+\): key must not contain NUL or U\+10FFFF/],
    ];
    for (const [bad, message] of cases) {
      const err = await reconcile([oldEntry(fork + 1, 'untouched', 'would-apply', 2), bad]).then(
        () => assert.fail(`${bad.key} was taken`),
        (e: ServiceError) => e,
      );
      assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
      assert.match(err.details, message);
    }
    assert.equal(await get('untouched'), 'base', 'nothing of a refused request was applied');
    // The same request with a well-formed record is taken.
    const result = await reconcile([oldEntry(fork + 1, 'untouched', 'would-apply', 2), event('e1', record)]);
    assert.equal(result.applied, 2);
  });
});
