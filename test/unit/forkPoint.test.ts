import assert from 'node:assert/strict';
import { forkPoint } from '../../services/node/replication/forkPoint';

describe('forkPoint', function () {
  const t = (term: number, startPosition: number) => ({ term, startPosition });

  it('is the replica’s end when it only lags behind', function () {
    assert.equal(forkPoint([t(1, 1), t(2, 91)], 120, [t(1, 1), t(2, 91)], 100), 100);
    assert.equal(forkPoint([t(1, 1)], 50, [t(1, 1)], 50), 50);
    assert.equal(forkPoint([t(1, 1)], 50, [], 0), 0);
  });

  it('is where a new term began, for an old primary that kept writing in its own term', function () {
    // Promoted at 91 in term 2; the old primary wrote 91..100 in term 1, never acknowledged.
    assert.equal(forkPoint([t(1, 1), t(2, 91)], 95, [t(1, 1)], 100), 90);
  });

  it('finds the fork even when the new primary has written nothing yet', function () {
    assert.equal(forkPoint([t(1, 1), t(2, 96)], 95, [t(1, 1)], 100), 95);
  });

  it('sees a divergence that started in an older term', function () {
    assert.equal(forkPoint([t(1, 1), t(3, 41)], 60, [t(1, 1), t(2, 41)], 60), 40);
  });
});
