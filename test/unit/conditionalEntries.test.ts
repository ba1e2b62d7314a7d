import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LogEntry } from '../../gen/shoal/v1/sync';
import { entryFromProto, entryToProto } from '../../services/node/replication/wire';
import { StateStore } from '../../services/node/store/StateStore';
import type { Entry } from '../../services/node/store/types';

describe('a log entry remembers the version its compare-and-set expected', function () {
  let dir: string;
  let path: string;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'shoal-cas-entry-'));
    path = join(dir, 'state.db');
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const entry = (position: number, expectedVersion?: number): Entry => ({
    position,
    term: 1,
    op: 'put',
    key: 'k',
    value: Buffer.from(String(position)),
    version: position,
    hlc: { physicalMs: 1000 + position, logical: 0 },
    origin: 'primary',
    vclock: { primary: position },
    traceParent: '',
    ...(expectedVersion !== undefined && { expectedVersion }),
  });

  it('in the store, across a reopen: 0 (no live key) and a version are kept, an unconditional write has none', function () {
    const written = [entry(1, 0), entry(2), entry(3, 2)];
    const store = new StateStore(path, 'always');
    store.applyEntries(written);
    store.close();
    const reopened = new StateStore(path, 'always');
    assert.deepEqual(reopened.readEntries(1, 10), written);
    reopened.close();
  });

  it('on the wire: 0 and a version survive encoding, an unconditional write stays without one', function () {
    for (const e of [entry(1, 0), entry(2, 7), entry(3)]) {
      const decoded = entryFromProto(LogEntry.decode(LogEntry.encode(entryToProto(e)).finish()));
      assert.deepEqual(decoded, e);
    }
  });

  it('in a file from before the column existed: its entries read as unconditional, and new ones keep theirs', function () {
    // The log table as shoal created it before it kept conditions.
    const old = new Database(path);
    old.exec(`CREATE TABLE log (
      position INTEGER PRIMARY KEY, term INTEGER NOT NULL, op INTEGER NOT NULL, key TEXT NOT NULL,
      value BLOB, version INTEGER NOT NULL, hlc_ms INTEGER NOT NULL, hlc_logical INTEGER NOT NULL,
      origin TEXT NOT NULL, vclock TEXT NOT NULL, trace_parent TEXT NOT NULL)`);
    old.prepare("INSERT INTO log VALUES (1, 1, 1, 'k', ?, 1, 1001, 0, 'primary', '[[\"primary\",1]]', '')").run(Buffer.from('1'));
    old.exec(`CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('position', '1')`);
    old.close();
    const store = new StateStore(path, 'always');
    store.applyEntries([entry(2, 1)]);
    assert.deepEqual(store.readEntries(1, 10), [entry(1), entry(2, 1)]);
    store.close();
  });
});
