import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDivergedSuffix, reconcileCalls } from '../../services/node/replication/divergedSuffix';
import { StateStore } from '../../services/node/store/StateStore';
import type { Entry } from '../../services/node/store/types';

describe('the diverged suffix an old primary hands over', function () {
  let dir: string;
  let store: StateStore;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'shoal-suffix-'));
    store = new StateStore(join(dir, 'state.db'), 'batch');
  });

  afterEach(function () {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const entry = (position: number, key: string, bytes = 1): Entry => ({
    position,
    term: 1,
    op: 'put',
    key,
    value: Buffer.alloc(bytes, 'x'),
    version: position,
    hlc: { physicalMs: 1000 + position, logical: 0 },
    origin: 'primary',
    vclock: { primary: position },
    traceParent: '',
  });
  const positions = (entries: Entry[]) => entries.map((e) => e.position);

  describe('readDivergedSuffix', function () {
    it('reads every entry after the fork, across many pages, starting at fork + 1', function () {
      const all = Array.from({ length: 2500 }, (_, i) => entry(i + 1, `k${i % 7}`));
      store.applyEntries(all);
      const { entries, unretained } = readDivergedSuffix(store, 40);
      assert.equal(entries.length, 2460);
      assert.equal(entries[0].position, 41);
      assert.equal(entries.at(-1)!.position, 2500);
      assert.equal(unretained, undefined);
    });

    it('reports the positions after the fork that the log no longer holds, rather than starting silently later', function () {
      store.applyEntries(Array.from({ length: 30 }, (_, i) => entry(i + 1, `k${i}`)));
      store.truncateBelow(21);
      const { entries, unretained } = readDivergedSuffix(store, 10);
      assert.deepEqual(unretained, { from: 11, to: 20 });
      assert.deepEqual(
        positions(entries),
        Array.from({ length: 10 }, (_, i) => 21 + i),
      );
    });

    it('reports the whole suffix as unretained when the log holds none of it', function () {
      store.applyEntries(Array.from({ length: 5 }, (_, i) => entry(i + 1, `k${i}`)));
      store.truncateBelow(6);
      assert.deepEqual(readDivergedSuffix(store, 2), { entries: [], unretained: { from: 3, to: 5 } });
    });

    it('finds nothing to hand over when nothing follows the fork', function () {
      store.applyEntries([entry(1, 'a'), entry(2, 'b')]);
      assert.deepEqual(readDivergedSuffix(store, 2), { entries: [], unretained: undefined });
    });
  });

  describe('reconcileCalls', function () {
    it('keeps each key’s entries in one call, each call in log order', function () {
      const suffix = [entry(1, 'a', 40), entry(2, 'b', 40), entry(3, 'a', 40), entry(4, 'c', 40), entry(5, 'b', 40)];
      // Room for about two keys' worth of entries per call.
      const calls = reconcileCalls(suffix, 400);
      assert.ok(calls.length > 1, 'split into several calls');
      for (const call of calls)
        assert.deepEqual(
          positions(call),
          [...positions(call)].sort((x, y) => x - y),
        );
      for (const key of ['a', 'b', 'c']) {
        assert.equal(calls.filter((c) => c.some((e) => e.key === key)).length, 1, `${key} in one call`);
      }
      assert.deepEqual(
        positions(calls.flat()).sort((x, y) => x - y),
        [1, 2, 3, 4, 5],
      );
    });

    it('splits a key whose entries alone exceed a call, in log order, and never sends an empty call', function () {
      const suffix = Array.from({ length: 10 }, (_, i) => entry(i + 1, 'hot', 100));
      const calls = reconcileCalls(suffix, 450);
      assert.ok(calls.length >= 3);
      assert.deepEqual(
        positions(calls.flat()),
        Array.from({ length: 10 }, (_, i) => i + 1),
      );
      assert.ok(calls.every((c) => c.length > 0));
      assert.deepEqual(reconcileCalls([]), []);
    });
  });
});
