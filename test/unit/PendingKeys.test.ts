import assert from 'node:assert/strict';
import { PendingKeys } from '../../services/node/replication/PendingKeys';
import type { Entry } from '../../services/node/store/types';

const entry = (position: number, key: string): Entry => ({
  position,
  term: 1,
  op: 'put',
  key,
  value: Buffer.alloc(0),
  version: 1,
  hlc: { physicalMs: 0, logical: 0 },
  origin: 'primary',
  vclock: {},
  traceParent: '',
});

describe('PendingKeys: the primary’s writes not yet acknowledged, by key', function () {
  it('names each key’s latest unacknowledged position and forgets it once the acknowledged position passes it', function () {
    const p = new PendingKeys();
    p.add([entry(1, 'a'), entry(2, 'b'), entry(3, 'a')]);
    assert.deepEqual([p.of('a'), p.of('b'), p.of('c')], [3, 2, 0]);
    p.prune(2);
    assert.deepEqual([p.of('a'), p.of('b')], [3, 0], 'a’s write at 3 still waits though its write at 1 is acknowledged');
    p.prune(3);
    assert.deepEqual([p.of('a'), p.size], [0, 0]);
  });

  it('finds the latest pending position under a prefix within a page’s key range, in UTF-8 byte order', function () {
    const p = new PendingKeys();
    p.add([entry(1, 'k/a'), entry(2, 'k/c'), entry(3, 'other'), entry(4, 'k/\u{1F600}'), entry(5, 'k/\uFFFD')]);
    assert.equal(p.under('k/'), 5);
    assert.equal(p.under('k/', 'k/a', 'k/b'), 0, 'nothing pending between a (excluded) and b');
    assert.equal(p.under('k/', 'k/a', 'k/c'), 2);
    // In UTF-8, U+FFFD (EF BF BD) sorts before U+1F600 (F0 9F 98 80), unlike in UTF-16.
    assert.equal(p.under('k/', 'k/c', 'k/\uFFFD'), 5);
    assert.equal(p.under('k/', 'k/\uFFFD'), 4);
  });

  it('keeps working after many writes are pruned', function () {
    const p = new PendingKeys();
    for (let i = 1; i <= 5000; i++) p.add([entry(i, `k${i % 7}`)]);
    p.prune(4990);
    assert.equal(p.size, 7);
    assert.equal(p.of(`k${4995 % 7}`), 4995);
    p.prune(5000);
    assert.equal(p.size, 0);
  });
});
