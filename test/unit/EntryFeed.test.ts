import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryFeed } from '../../services/node/replication/EntryFeed';
import { StateStore } from '../../services/node/store/StateStore';
import type { Entry } from '../../services/node/store/types';

const MiB = 1024 * 1024;

describe('EntryFeed (the recent log in memory, over a real store)', function () {
  let dir: string;
  let store: StateStore;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'shoal-feed-'));
    store = new StateStore(join(dir, 'state.db'), 'batch');
    store.startTerm(1, 1);
  });

  afterEach(function () {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const entry = (position: number, value: Buffer): Entry => ({
    position,
    term: 1,
    op: 'put',
    key: `k/${position}`,
    value,
    version: 1,
    hlc: { physicalMs: 1000 + position, logical: 0 },
    origin: 'primary',
    vclock: { primary: position },
    traceParent: '',
  });

  it('holds at most 96 MiB of 1 MiB values, dropping the oldest to 64 MiB, and serves the dropped ones from the store', function () {
    const feed = new EntryFeed(store);
    const mib = Buffer.alloc(MiB, 1);
    for (let p = 1; p <= 120; p++) {
      const e = entry(p, mib);
      store.applyEntries([e]);
      feed.publish([e]);
      assert.ok(feed.heldBytes <= 96 * MiB + MiB, `at position ${p} the feed holds ${feed.heldBytes} bytes`);
    }
    assert.ok(feed.heldBytes <= 96 * MiB && feed.heldBytes > 50 * MiB, `the feed holds ${(feed.heldBytes / MiB).toFixed(1)} MiB`);
    const latest = feed.since(120, 1);
    assert.deepEqual(
      latest.map((e) => e.position),
      [120],
    );
    const oldest = feed.since(1, 2);
    assert.deepEqual(
      oldest.map((e) => [e.position, e.value.length]),
      [
        [1, MiB],
        [2, MiB],
      ],
      'entries no longer in memory come from the log',
    );
  });

  it('keeps the last 20,000 small entries in memory, in order', function () {
    const feed = new EntryFeed(store);
    const small = Buffer.from('v');
    for (let p = 1; p <= 31_000; p += 1000) feed.publish(Array.from({ length: 1000 }, (_, i) => entry(p + i, small)));
    const from = feed.since(11_001, 3);
    assert.deepEqual(
      from.map((e) => e.position),
      [11_001, 11_002, 11_003],
    );
    assert.ok(feed.heldBytes < MiB);
  });
});
