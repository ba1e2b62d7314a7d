import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ConflictLog } from '../../services/node/store/ConflictLog';
import { openSchema } from '../../services/node/store/schema';
import type { ConflictRecord, Stored } from '../../services/node/store/types';

describe('ConflictLog (an in-memory SQLite database)', function () {
  let db: Database.Database;
  let log: ConflictLog;

  beforeEach(function () {
    db = new Database(':memory:');
    openSchema(db);
    log = new ConflictLog(db);
  });

  afterEach(function () {
    db.close();
  });

  const version = (key: string, value: string, origin: string, deleted = false): Stored => ({
    key,
    value: Buffer.from(value),
    version: 2,
    position: 5,
    deleted,
    hlc: { physicalMs: 1000, logical: 1 },
    origin,
    vclock: { [origin]: 2 },
  });

  const conflict = (n: number): ConflictRecord => ({
    resolvedAtMs: 1000 + n,
    key: `k${n}`,
    winner: version(`k${n}`, 'binary \u0000 ü', 'n2'),
    loser: version(`k${n}`, '', 'n1', true),
    reason: 'concurrent versions; last-write-wins: later hybrid time',
    resolvedBy: 'primary',
  });

  it('reads a resolution back as it was recorded, values and all', function () {
    log.record(conflict(1));
    assert.deepEqual(log.latest(10), [conflict(1)]);
    assert.equal(log.resolvedCount(), 1);
  });

  it('keeps the latest 1000 resolutions, newest first, and counts every one', function () {
    for (let n = 1; n <= 1005; n++) log.record(conflict(n));
    const kept = log.latest(2000);
    assert.equal(kept.length, 1000);
    assert.deepEqual([kept[0].key, kept.at(-1)!.key], ['k1005', 'k6']);
    assert.equal(log.resolvedCount(), 1005);
    assert.deepEqual(
      log.latest(2).map((c) => c.key),
      ['k1005', 'k1004'],
    );
  });

  it('counts none before the first resolution', function () {
    assert.equal(log.resolvedCount(), 0);
    assert.deepEqual(log.latest(10), []);
  });
});
