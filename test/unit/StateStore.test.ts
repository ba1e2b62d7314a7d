import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { bucketOf } from '../../services/node/store/rowDigest';
import { StateStore } from '../../services/node/store/StateStore';
import type { Entry } from '../../services/node/store/types';

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

  it('digests what is on disk after puts, overwrites, deletes and re-creations: a check of the disk finds nothing to correct', async function () {
    const store = new StateStore(path, 'always');
    store.applyEntries([entry(1, 'a', '1'), entry(2, 'b', '2'), entry(3, 'a', '3'), entry(4, 'a', '', 'delete')]);
    store.applyEntries([entry(5, 'a', 'again'), entry(6, 'c', '6'), entry(7, 'b', '', 'delete'), entry(8, 'c', '8')]);
    const live = store.digests(new Set());
    assert.equal(await store.verifyDigests(), false);
    assert.deepEqual(store.digests(new Set()), live);
    const fresh = new StateStore(path, 'always');
    assert.deepEqual(fresh.digests(new Set()), live);
    fresh.close();
    store.close();
  });

  it('notices a stored hash changed behind its back, and restores it from the row', async function () {
    const store = new StateStore(path, 'always');
    store.applyEntries([entry(1, 'a', '1'), entry(2, 'b', '2')]);
    const right = store.digests(new Set());
    const other = new Database(path);
    other.prepare("UPDATE kv SET hash = ? WHERE key = 'a'").run(Buffer.alloc(32, 1));
    other.close();
    assert.equal(await store.verifyDigests(), true);
    assert.deepEqual(store.digests(new Set()), right);
    store.applyEntries([entry(3, 'a', 'overwritten')]);
    assert.equal(await store.verifyDigests(), false, "the overwrite removed the row's own hash from the digests");
    store.close();
  });

  it('notices a row deleted behind its back, and counts one key fewer', async function () {
    const store = new StateStore(path, 'always');
    store.applyEntries([entry(1, 'a', '1'), entry(2, 'b', '2')]);
    const other = new Database(path);
    other.prepare("DELETE FROM kv WHERE key = 'a'").run();
    other.close();
    assert.equal(await store.verifyDigests(), true);
    assert.equal(store.keyCount, 1);
    const fresh = new StateStore(path, 'always');
    assert.deepEqual(store.digests(new Set()), fresh.digests(new Set()));
    fresh.close();
    store.close();
  });

  it('corrects a changed row that is rewritten while the disk is being checked', async function () {
    const store = new StateStore(path, 'always');
    // More rows than one turn of the check reads, so it yields with the changed row already read.
    store.applyEntries(Array.from({ length: 600 }, (_, i) => entry(i + 1, `k${i}`, 'v')));
    const other = new Database(path);
    other.prepare("UPDATE kv SET value = ? WHERE key = 'k0'").run(Buffer.from('changed behind its back'));
    other.close();
    const checked = store.verifyDigests();
    store.applyEntries([entry(601, 'k0', 'rewritten')]);
    assert.equal(await checked, true);
    const fresh = new StateStore(path, 'always');
    assert.deepEqual(store.digests(new Set()), fresh.digests(new Set()));
    fresh.close();
    assert.equal(await store.verifyDigests(), false);
    store.close();
  });

  it('opens a file written before rows kept their hash: adds and fills the column, and digests as a new store does', async function () {
    const entries = [entry(1, 'a', '1'), entry(2, 'b', '2'), entry(3, 'a', '3'), entry(4, 'b', '', 'delete')];
    writeOldLayout(path, entries);
    const migrated = new StateStore(path, 'always');
    const otherPath = join(dir, 'new.db');
    const current = new StateStore(otherPath, 'always');
    current.applyEntries(entries);
    assert.deepEqual(migrated.digests(new Set()), current.digests(new Set()));
    assert.equal(migrated.lastPosition, 4);
    assert.equal(migrated.stored('a')?.value.toString(), '3');
    assert.equal(migrated.stored('b')?.deleted, true);
    assert.deepEqual(
      migrated.readEntries(1, 10).map((e) => e.key),
      ['a', 'b', 'a', 'b'],
    );
    assert.equal(await migrated.verifyDigests(), false);
    migrated.applyEntries([entry(5, 'a', '5'), entry(6, 'c', '6')]);
    current.applyEntries([entry(5, 'a', '5'), entry(6, 'c', '6')]);
    assert.deepEqual(migrated.digests(new Set()), current.digests(new Set()));
    migrated.close();
    current.close();
    const reopened = new StateStore(path, 'always');
    assert.equal(await reopened.verifyDigests(), false);
    reopened.close();
  });

  it("repairs the buckets that differ from another store's, and then digests as it does, by memory and from disk", async function () {
    const theirs = new StateStore(join(dir, 'theirs.db'), 'always');
    const ours = new StateStore(path, 'always');
    const shared = [entry(1, 'a', '1'), entry(2, 'b', '2'), entry(3, 'c', '3')];
    theirs.applyEntries(shared);
    ours.applyEntries(shared);
    // Rows changed behind our back: one differs, one is gone, one should not be there.
    const other = new Database(path);
    other.prepare("UPDATE kv SET value = ? WHERE key = 'a'").run(Buffer.from('drifted'));
    other.prepare("DELETE FROM kv WHERE key = 'b'").run();
    other.prepare("INSERT INTO kv SELECT 'stray', value, version, position, deleted, hlc_ms, hlc_logical, origin, vclock, hash FROM kv WHERE key = 'c'").run();
    other.close();
    assert.equal(await ours.verifyDigests(), true);
    const wanted = theirs.digests(new Set());
    const differing = ours.digests(new Set()).flatMap((d, bucket) => (d.equals(wanted[bucket]) ? [] : [bucket]));
    assert.ok(differing.length > 0);
    const repaired: string[] = [];
    for (const bucket of differing) repaired.push(...(await ours.repairBucket(bucket, 3, new Set(), await theirs.bucketValues(bucket, 3, new Set()))));
    assert.deepEqual(repaired.sort(), ['a', 'b', 'stray']);
    assert.deepEqual(ours.digests(new Set()), wanted);
    assert.equal(await ours.verifyDigests(), false);
    theirs.close();
    ours.close();
  });

  it('installs a snapshot whose digests match the same values written entry by entry', async function () {
    const written = new StateStore(path, 'always');
    written.applyEntries([entry(1, 'a', '1'), entry(2, 'b', '2'), entry(3, 'b', '', 'delete')]);
    const snapshot = written.openSnapshotReader();
    const installed = new StateStore(join(dir, 'installed.db'), 'always');
    installed.installSnapshot(snapshot.position, snapshot.history, snapshot.values());
    snapshot.close();
    assert.deepEqual(installed.digests(new Set()), written.digests(new Set()));
    assert.equal(await installed.verifyDigests(), false);
    installed.close();
    written.close();
  });

  it('digests rows as earlier versions of the store did, so nodes of either version agree', function () {
    const store = new StateStore(path, 'always');
    store.applyEntries([
      { ...entry(1, 'a', '1'), hlc: { physicalMs: 1001, logical: 0 }, vclock: { primary: 1 }, version: 1 },
      { ...entry(2, '\u{10FFFF}events/é', 'ü'), hlc: { physicalMs: 1002, logical: 3 }, origin: 'n2', vclock: { primary: 1, n2: 4 }, version: 1 },
      { ...entry(3, 'a', '', 'delete'), hlc: { physicalMs: 1003, logical: 0 }, vclock: { primary: 2 }, version: 2 },
    ]);
    // Computed by the store before rows kept their hash.
    const expected = new Map([
      [0, 'b3a8a67d0f1cef48bed1b51645c7db0c548ad61de1508044e28c1a38bbcf2de2'],
      [10, '67fc0c37ee29acfc53f839537fbcb2ab826008558adb9ed31bba7aff4a59174c'],
    ]);
    store.digests(new Set()).forEach((digest, bucket) => assert.equal(digest.toString('hex'), expected.get(bucket) ?? '0'.repeat(64), `bucket ${bucket}`));
    store.close();
  });

  it('reads what the next version of several keys builds on: live, deleted and never written', function () {
    const store = new StateStore(path, 'always');
    store.applyEntries([entry(1, 'a', '1'), entry(2, 'b', '2'), entry(3, 'b', '', 'delete')]);
    const heads = store.heads(['a', 'b', 'c']);
    assert.deepEqual(
      [...heads],
      [
        ['a', { version: 1, deleted: false, vclock: { primary: 1 } }],
        ['b', { version: 3, deleted: true, vclock: { primary: 3 } }],
        ['c', undefined],
      ],
    );
    store.close();
  });

  it('purges a key without a tombstone: digests and key count as if it had never been written, on a replica and after a reopen', async function () {
    const never = new StateStore(join(dir, 'never.db'), 'always');
    never.applyEntries([entry(1, 'a', '1')]);
    const store = new StateStore(path, 'always');
    store.applyEntries([entry(1, 'a', '1'), entry(2, 'event', 'queued')]);
    assert.equal(store.keyCount, 2);
    store.applyEntries([entry(3, 'event', '', 'purge')]);
    assert.equal(store.stored('event'), undefined, 'no row, not even a tombstone');
    assert.equal(store.keyCount, 1);
    assert.deepEqual(store.digests(new Set()), never.digests(new Set()));
    assert.equal(await store.verifyDigests(), false, 'the disk agrees');
    assert.deepEqual(
      store.readEntries(3, 1).map((e) => [e.op, e.key]),
      [['purge', 'event']],
    );
    // Anti-entropy must leave a key purged after the position it compares at out on both sides.
    assert.deepEqual(store.changedAfter(2), ['event']);
    store.close();
    const reopened = new StateStore(path, 'always');
    assert.equal(reopened.keyCount, 1);
    assert.deepEqual(reopened.digests(new Set()), never.digests(new Set()));
    reopened.close();
    never.close();
  });

  it('does not put back a key purged after the position a repair compared at', async function () {
    const store = new StateStore(path, 'always');
    store.applyEntries([entry(1, 'event', 'queued')]);
    // The primary's view at position 1, as GetBucket sent it; then the purge arrives here.
    const primarys = store.stored('event')!;
    store.applyEntries([entry(2, 'event', '', 'purge')]);
    assert.deepEqual(await store.repairBucket(bucketOf('event'), 1, new Set(), [primarys]), []);
    assert.equal(store.stored('event'), undefined);
    assert.equal(store.keyCount, 0);
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

/** The schema and rows of a store written before kv kept each row's hash. */
function writeOldLayout(path: string, entries: Entry[]): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE terms (term INTEGER PRIMARY KEY, start_position INTEGER NOT NULL);
CREATE TABLE log (
  position INTEGER PRIMARY KEY, term INTEGER NOT NULL, op INTEGER NOT NULL, key TEXT NOT NULL,
  value BLOB, version INTEGER NOT NULL, hlc_ms INTEGER NOT NULL, hlc_logical INTEGER NOT NULL,
  origin TEXT NOT NULL, vclock TEXT NOT NULL, trace_parent TEXT NOT NULL);
CREATE TABLE kv (
  key TEXT PRIMARY KEY, value BLOB, version INTEGER NOT NULL, position INTEGER NOT NULL,
  deleted INTEGER NOT NULL, hlc_ms INTEGER NOT NULL, hlc_logical INTEGER NOT NULL,
  origin TEXT NOT NULL, vclock TEXT NOT NULL);
CREATE INDEX kv_position ON kv(position);
CREATE TABLE conflicts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, resolved_at INTEGER NOT NULL, key TEXT NOT NULL,
  winner TEXT NOT NULL, loser TEXT NOT NULL, reason TEXT NOT NULL, resolved_by TEXT NOT NULL);
`);
  const log = db.prepare('INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const kv = db.prepare('INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  for (const e of entries) {
    const deleted = e.op === 'delete';
    const vclock = JSON.stringify(Object.entries(e.vclock));
    log.run(e.position, e.term, deleted ? 2 : 1, e.key, e.value, e.version, e.hlc.physicalMs, e.hlc.logical, e.origin, vclock, e.traceParent);
    kv.run(e.key, deleted ? null : e.value, e.version, e.position, deleted ? 1 : 0, e.hlc.physicalMs, e.hlc.logical, e.origin, vclock);
  }
  db.prepare('INSERT INTO terms VALUES (1, 1)').run();
  db.prepare("INSERT INTO meta VALUES ('position', ?), ('term', '1')").run(String(entries.at(-1)!.position));
  db.close();
}
