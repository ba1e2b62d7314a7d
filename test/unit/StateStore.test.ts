import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type Entry, StateStore } from '../../services/node/store/StateStore';

describe('StateStore (SQLite on a temporary directory)', function () {
  let dir: string;
  let path: string;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'shoal-store-'));
    path = join(dir, 'state.db');
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const entry = (position: number, key: string, value: string, op: Entry['op'] = 'put'): Entry => ({
    position,
    term: 1,
    op,
    key,
    value: Buffer.from(value),
    version: position,
    hlc: { physicalMs: 1000 + position, logical: 0 },
    origin: 'primary',
    vclock: { primary: position },
    traceParent: '',
  });

  it('keeps its digests in step with the rows: a fresh open of the same file computes the same', function () {
    const store = new StateStore(path, 'always');
    store.applyEntries([entry(1, 'a', '1'), entry(2, 'b', '2'), entry(3, 'a', '3')]);
    store.applyEntries([entry(4, 'b', '', 'delete'), entry(5, 'c', '5')]);
    const live = store.digests(new Set());
    store.close();
    const reopened = new StateStore(path, 'always');
    assert.deepEqual(reopened.digests(new Set()), live);
    assert.equal(reopened.lastPosition, 5);
    reopened.close();
  });

  it('leaves the excluded keys out of a digest, whatever their version', function () {
    const store = new StateStore(path, 'always');
    store.applyEntries([entry(1, 'a', '1'), entry(2, 'b', '2')]);
    const withoutB = store.digests(new Set(['b']));
    store.applyEntries([entry(3, 'b', 'changed later')]);
    assert.deepEqual(store.digests(new Set(store.changedAfter(1))), withoutB);
    store.close();
  });

  it('notices a row changed on disk behind its back, and then agrees with a fresh open', async function () {
    const store = new StateStore(path, 'always');
    store.applyEntries([entry(1, 'a', 'right'), entry(2, 'b', 'kept')]);
    const before = store.digests(new Set());
    const other = new Database(path);
    other.prepare("UPDATE kv SET value = ? WHERE key = 'a'").run(Buffer.from('wrong'));
    other.close();
    assert.deepEqual(store.digests(new Set()), before, 'memory has not seen it yet');
    assert.equal(await store.verifyDigests(), true);
    const fresh = new StateStore(path, 'always');
    assert.deepEqual(store.digests(new Set()), fresh.digests(new Set()));
    assert.equal(await store.verifyDigests(), false, 'nothing left to notice');
    fresh.close();
    store.close();
  });

  it('refuses a batch with a gap, and changes nothing', function () {
    const store = new StateStore(path, 'always');
    store.applyEntries([entry(1, 'a', '1')]);
    assert.throws(() => store.applyEntries([entry(2, 'b', '2'), entry(4, 'c', '4')]), /entry 1 of the batch is at position 4; the log needs 3/);
    assert.equal(store.lastPosition, 1);
    assert.equal(store.stored('b'), undefined);
    store.close();
  });
});
