import assert from 'node:assert/strict';
import { judgeReplay, type KeyHere } from '../../services/node/sync/judgeReplay';
import type { Entry, Stored } from '../../services/node/store/types';

describe('judgeReplay: whether an old primary’s unacknowledged entry is written again on the new primary', function () {
  // At the fork the key was at version 3, written in term 1 by `primary`.
  const atFork: Stored = {
    key: 'k',
    value: Buffer.from('at-fork'),
    version: 3,
    position: 10,
    deleted: false,
    hlc: { physicalMs: 1000, logical: 0 },
    origin: 'primary',
    vclock: { primary: 3 },
  };
  // The old primary's write over it, after the fork.
  const old = (over: Partial<Entry> = {}): Entry => ({
    position: 11,
    term: 1,
    op: 'put',
    key: 'k',
    value: Buffer.from('from-old-primary'),
    version: 4,
    hlc: { physicalMs: 2000, logical: 0 },
    origin: 'primary',
    vclock: { primary: 4 },
    traceParent: '',
    ...over,
  });
  // The new primary's own write of the key after the fork: also version 4, a different write.
  const rewrittenHere: Stored = {
    ...atFork,
    value: Buffer.from('from-new-primary'),
    version: 4,
    position: 12,
    hlc: { physicalMs: 3000, logical: 0 },
    origin: 'replica-1',
    vclock: { primary: 3, 'replica-1': 1 },
  };
  const unchanged: KeyHere = { current: atFork, changedSinceFork: false, previous: 'none' };

  describe('a compare-and-set', function () {
    it('is written again when the key is as it was at the fork and at the version it expected, and the rewrite expects that version', function () {
      const d = judgeReplay(old({ expectedVersion: 3 }), unchanged);
      assert.deepEqual({ apply: d.apply, conflict: d.conflict, expectedVersion: d.expectedVersion }, { apply: true, conflict: false, expectedVersion: 3 });
    });

    it('is a conflict, not applied, when the new primary wrote the key since the fork, even at the very version number it expected', function () {
      // Another CAS expecting 3 succeeded here and made version 4: the old one must not also take effect.
      const here: KeyHere = { current: { ...rewrittenHere, version: 3 }, changedSinceFork: true, previous: 'none' };
      const d = judgeReplay(old({ expectedVersion: 3 }), here);
      assert.equal(d.apply, false);
      assert.equal(d.conflict, true);
      assert.match(d.reason, /compare-and-set at version 3 no longer holds: the key was written here since the logs parted/);
    });

    it('is a conflict even when it would win last-write-wins (its hybrid time is later than the new primary’s write)', function () {
      const here: KeyHere = { current: rewrittenHere, changedSinceFork: true, previous: 'none' };
      const d = judgeReplay(old({ expectedVersion: 3, hlc: { physicalMs: 9000, logical: 0 } }), here);
      assert.equal(d.apply, false);
      assert.equal(d.conflict, true);
    });

    it('is a conflict when the key is not at the version it expected, though unchanged here since the fork', function () {
      const d = judgeReplay(old({ expectedVersion: 2 }), unchanged);
      assert.equal(d.apply, false);
      assert.match(d.reason, /compare-and-set at version 2 no longer holds: the key is at version 3 here/);
    });

    it('that expected no key holds against a tombstone or no row, and not against a live key', function () {
      const create = old({ expectedVersion: 0, version: 1 });
      assert.equal(judgeReplay(create, { current: undefined, changedSinceFork: false, previous: 'none' }).apply, true);
      const tombstone = { ...atFork, deleted: true, value: Buffer.alloc(0) };
      const onTombstone = judgeReplay(old({ expectedVersion: 0 }), { current: tombstone, changedSinceFork: false, previous: 'none' });
      assert.deepEqual([onTombstone.apply, onTombstone.expectedVersion], [true, 0]);
      assert.equal(judgeReplay(create, unchanged).apply, false);
    });

    it('that the new primary purged since the fork is a conflict, with no version here to win', function () {
      const d = judgeReplay(old({ expectedVersion: 0, version: 1 }), { current: undefined, changedSinceFork: true, previous: 'none' });
      assert.equal(d.apply, false);
      assert.equal(d.conflict, true);
    });

    it('written over the old primary’s own earlier write holds when that write was replayed, expecting the version it got here', function () {
      const replayed: Stored = { ...rewrittenHere, value: Buffer.from('from-old-primary'), version: 7 };
      const d = judgeReplay(old({ position: 12, version: 5, expectedVersion: 4 }), { current: replayed, changedSinceFork: true, previous: 'replayed' });
      assert.deepEqual([d.apply, d.conflict, d.expectedVersion], [true, false, 7]);
    });

    it('written over the old primary’s own earlier write is a conflict when that write was not taken here', function () {
      const d = judgeReplay(old({ position: 12, version: 5, expectedVersion: 4 }), { current: rewrittenHere, changedSinceFork: true, previous: 'dropped' });
      assert.equal(d.apply, false);
      assert.equal(d.conflict, true);
      assert.match(d.reason, /earlier write of the key that it expected was not taken here/);
    });
  });

  describe('an unconditional write (or one logged before conditions were recorded)', function () {
    it('is written again on a key new here', function () {
      assert.deepEqual(judgeReplay(old(), { current: undefined, changedSinceFork: false, previous: 'none' }), {
        apply: true,
        conflict: false,
        reason: 'the key is new here',
      });
    });

    it('is written again when it has seen the version here (causally newer), with no conflict', function () {
      const d = judgeReplay(old(), unchanged);
      assert.deepEqual([d.apply, d.conflict, d.expectedVersion], [true, false, undefined]);
    });

    it('resolves last-write-wins against a concurrent write here, and says it was a conflict either way', function () {
      const here: KeyHere = { current: rewrittenHere, changedSinceFork: true, previous: 'none' };
      const earlier = judgeReplay(old(), here);
      assert.deepEqual([earlier.apply, earlier.conflict], [false, true]);
      assert.match(earlier.reason, /concurrent versions; last-write-wins/);
      const later = judgeReplay(old({ hlc: { physicalMs: 9000, logical: 0 } }), here);
      assert.deepEqual([later.apply, later.conflict], [true, true]);
    });
  });
});
