import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { HybridTime } from './hybridClock';
import { bucketOf, emptyDigests, type HashedColumns, rowHash, xorInto } from './rowDigest';
import { openSchema } from './schema';
import { termAt } from './termAt';
import { clockEntries, type VectorClock } from './vectorClock';

/**
 * Why SQLite (better-sqlite3 12): one file per node holds the log, the materialized keys and
 * the term history, and each batch of changes commits in one transaction, so the log and the
 * state can never disagree after a crash. WAL mode lets the snapshot sender read a consistent
 * view on a second connection while writes go on.
 */

/** How hard a commit waits for the disk. */
export type FsyncPolicy = 'always' | 'batch';

/** put and delete keep a row (a delete leaves a tombstone); purge removes it (see sync.proto). */
export type EntryOpName = 'put' | 'delete' | 'purge';

/** One change in the log, as the store keeps it. */
export interface Entry {
  position: number;
  term: number;
  op: EntryOpName;
  key: string;
  value: Buffer;
  version: number;
  hlc: HybridTime;
  origin: string;
  vclock: VectorClock;
  traceParent: string;
}

/** A key's current version (deleted keys stay as tombstones, so replicas can compare them). */
export interface Stored {
  key: string;
  value: Buffer;
  version: number;
  position: number;
  deleted: boolean;
  hlc: HybridTime;
  origin: string;
  vclock: VectorClock;
}

/** What the next version of a key builds on: less to read than the whole Stored. */
export interface KeyHead {
  version: number;
  deleted: boolean;
  vclock: VectorClock;
}

export interface TermStart {
  term: number;
  startPosition: number;
}

export interface ConflictRecord {
  resolvedAtMs: number;
  key: string;
  winner: Stored;
  loser: Stored;
  reason: string;
  resolvedBy: string;
}

/** Number of anti-entropy buckets (see rowDigest.ts). */
export { BUCKETS } from './rowDigest';

/** Rows hashed per turn of the event loop during an anti-entropy scan. */
const SCAN_CHUNK = 500;

interface KvRow extends HashedColumns {
  position: number;
  /** rowHash of the row, kept so a write removes the old row's share of the digests without rehashing it. */
  hash: string;
}

/** What a Stored is read from. */
type StoredRow = Omit<KvRow, 'hash'>;

/** kv's columns as a Stored is read from them, and with the row's hash (as rowDigest keeps it). */
const STORED_COLUMNS = 'key, value, version, position, deleted, hlc_ms, hlc_logical, origin, vclock';
const ROW_COLUMNS = `${STORED_COLUMNS}, lower(hex(hash)) AS hash`;

/** How one key's row changed, as the digests see it: the hash removed and the hash added. */
interface RowChange {
  key: string;
  before: string | undefined;
  after: string | undefined;
}

interface LogRow {
  position: number;
  term: number;
  op: number;
  key: string;
  value: Buffer | null;
  version: number;
  hlc_ms: number;
  hlc_logical: number;
  origin: string;
  vclock: string;
  trace_parent: string;
}

/** How many conflict resolutions are kept. */
const CONFLICTS_KEPT = 1000;

/**
 * A node's durable state: the replicated log, the keys it materializes, the term history and
 * the current term. All methods are synchronous (better-sqlite3); each mutation is one
 * transaction, committed with the configured fsync policy.
 */
export class StateStore {
  private readonly db: Database.Database;
  private last = 0;
  private currentTerm = 0;
  private readonly stmt: ReturnType<StateStore['prepare']>;
  /** Which term wrote which stretch of the log, oldest first: the terms table, kept in memory. */
  private history: TermStart[] = [];
  /**
   * Per anti-entropy bucket, the XOR of every stored row's hash (tombstones included), kept up
   * to date as rows change: a digest costs O(buckets), not a scan of every key.
   */
  private bucketDigests: Buffer[] = emptyDigests();
  /** Rows in kv (tombstones and the node's own keys included), kept up to date with the digests. */
  private keys = 0;
  private latestHlc: HybridTime = { physicalMs: 0, logical: 0 };
  /**
   * Runs `fn` in one transaction (a savepoint inside another). Built once: better-sqlite3 takes
   * about 8 µs to build a transaction function, as much as a small write's statements.
   */
  private readonly atomically: (fn: () => void) => void;

  constructor(
    readonly path: string,
    fsync: FsyncPolicy,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: the WAL is fsynced at every commit, so an acknowledged write survives power loss.
    // NORMAL: fsynced at checkpoints only; survives a process crash (kill -9), not an OS crash.
    this.db.pragma(`synchronous = ${fsync === 'always' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    openSchema(this.db);
    this.atomically = this.db.transaction((fn: () => void) => fn());
    this.stmt = this.prepare();
    this.last = Number(this.meta('position') ?? 0);
    this.currentTerm = Number(this.meta('term') ?? 0);
    this.history = this.stmt.terms.all().map((r) => ({ term: r.term, startPosition: r.start_position }));
    // openSchema made every stored hash match its row: the digests can be summed from them.
    for (const row of this.db.prepare<[], Pick<KvRow, 'key' | 'hash' | 'hlc_ms' | 'hlc_logical'>>('SELECT key, lower(hex(hash)) AS hash, hlc_ms, hlc_logical FROM kv').iterate()) {
      xorInto(this.bucketDigests[bucketOf(row.key)], row.hash);
      this.keys += 1;
      if (row.hlc_ms > this.latestHlc.physicalMs || (row.hlc_ms === this.latestHlc.physicalMs && row.hlc_logical > this.latestHlc.logical)) {
        this.latestHlc = { physicalMs: row.hlc_ms, logical: row.hlc_logical };
      }
    }
  }

  private prepare() {
    const db = this.db;
    return {
      meta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?'),
      setMeta: db.prepare<[string, string]>('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
      getKv: db.prepare<[string], KvRow>(`SELECT ${ROW_COLUMNS} FROM kv WHERE key = ?`),
      getStored: db.prepare<[string], StoredRow>(`SELECT ${STORED_COLUMNS} FROM kv WHERE key = ?`),
      getHead: db.prepare<[string], { version: number; deleted: number; vclock: string }>('SELECT version, deleted, vclock FROM kv WHERE key = ?'),
      getHash: db.prepare<[string], string>('SELECT lower(hex(hash)) FROM kv WHERE key = ?').pluck(),
      // Positional parameters throughout the write path: binding by name costs more than the SQL.
      upsertKv: db.prepare<[string, Buffer | null, number, number, number, number, number, string, string, string]>(
        `INSERT INTO kv (key, value, version, position, deleted, hlc_ms, hlc_logical, origin, vclock, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, unhex(?))
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = excluded.version, position = excluded.position,
           deleted = excluded.deleted, hlc_ms = excluded.hlc_ms, hlc_logical = excluded.hlc_logical,
           origin = excluded.origin, vclock = excluded.vclock, hash = excluded.hash`,
      ),
      setHash: db.prepare<[string, string]>('UPDATE kv SET hash = unhex(?) WHERE key = ?'),
      deleteKv: db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
      insertLog: db.prepare<[number, number, number, string, Buffer, number, number, number, string, string, string]>(
        `INSERT INTO log (position, term, op, key, value, version, hlc_ms, hlc_logical, origin, vclock, trace_parent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      readLog: db.prepare<[number, number], LogRow>('SELECT * FROM log WHERE position >= ? ORDER BY position LIMIT ?'),
      firstLog: db.prepare<[], { position: number | null }>('SELECT MIN(position) AS position FROM log'),
      truncateLogBelow: db.prepare<[number]>('DELETE FROM log WHERE position < ?'),
      list: db.prepare<[string, string, string, number], StoredRow>(
        `SELECT ${STORED_COLUMNS} FROM kv WHERE deleted = 0 AND key >= ? AND key > ? AND key < ? ORDER BY key LIMIT ?`,
      ),
      prefixAll: db.prepare<[string, string], StoredRow>(`SELECT ${STORED_COLUMNS} FROM kv WHERE deleted = 0 AND key >= ? AND key < ? ORDER BY key`),
      changedAfter: db.prepare<[number], string>('SELECT key FROM kv WHERE position > ?').pluck(),
      purgedAfter: db.prepare<[number, number], string>('SELECT DISTINCT key FROM log WHERE position > ? AND op = ?').pluck(),
      terms: db.prepare<[], { term: number; start_position: number }>('SELECT term, start_position FROM terms ORDER BY term'),
      addTerm: db.prepare<[number, number]>('INSERT OR REPLACE INTO terms (term, start_position) VALUES (?, ?)'),
      addConflict: db.prepare('INSERT INTO conflicts (resolved_at, key, winner, loser, reason, resolved_by) VALUES (?, ?, ?, ?, ?, ?)'),
      trimConflicts: db.prepare<[number]>('DELETE FROM conflicts WHERE id <= (SELECT MAX(id) FROM conflicts) - ?'),
      // Ids only grow and trimming keeps the newest, so the highest id counts every resolution.
      conflictsResolved: db.prepare<[], { n: number }>('SELECT COALESCE(MAX(id), 0) AS n FROM conflicts'),
      listConflicts: db.prepare<[number], { resolved_at: number; key: string; winner: string; loser: string; reason: string; resolved_by: string }>(
        'SELECT * FROM conflicts ORDER BY id DESC LIMIT ?',
      ),
    };
  }

  /** Keys stored, tombstones and the node's own keys (queued events) included. */
  get keyCount(): number {
    return this.keys;
  }

  /** Last log position this node holds (applied, on a replica). */
  get lastPosition(): number {
    return this.last;
  }

  /** The role this node last served in ('primary' lets it start a term when Consul has none). */
  get lastRole(): string | undefined {
    return this.meta('role');
  }

  setLastRole(role: 'primary' | 'replica'): void {
    if (this.meta('role') !== role) this.stmt.setMeta.run('role', role);
  }

  /** The latest hybrid time of any key stored when the node started, to start its clock past it. */
  get latestHybridTimeAtOpen(): HybridTime {
    return this.latestHlc;
  }

  /** The term of the last entry this node holds (0 with an empty log and no snapshot). */
  lastEntryTerm(): number {
    return termAt(this.history, this.last);
  }

  /** The newest term this node has seen; persisted, never decreases. */
  get term(): number {
    return this.currentTerm;
  }

  /** Persists a newer term; an older or equal one is ignored. */
  adoptTerm(term: number): boolean {
    if (term <= this.currentTerm) return false;
    this.stmt.setMeta.run('term', String(term));
    this.currentTerm = term;
    return true;
  }

  /** Which term wrote which stretch of the log, oldest first. */
  termHistory(): TermStart[] {
    return this.history.map((t) => ({ ...t }));
  }

  /** Records that `term` starts at `startPosition` (a promotion). */
  startTerm(term: number, startPosition: number): void {
    this.atomically(() => {
      this.adoptTerm(term);
      this.stmt.addTerm.run(term, startPosition);
    });
    this.history = [...this.history.filter((t) => t.term !== term), { term, startPosition }].sort((a, b) => a.term - b.term);
  }

  /** The key's current version, tombstones included; undefined if never written. */
  stored(key: string): Stored | undefined {
    const row = this.stmt.getStored.get(key);
    return row ? fromKvRow(row) : undefined;
  }

  /**
   * What each key's next version builds on, tombstones included; undefined for a key never
   * written. One read transaction for all: a read on its own starts and ends one, which costs
   * more than the read (about 2 µs on a WAL database).
   */
  heads(keys: Iterable<string>): Map<string, KeyHead | undefined> {
    const heads = new Map<string, KeyHead | undefined>();
    this.atomically(() => {
      for (const key of keys) {
        const row = this.stmt.getHead.get(key);
        heads.set(key, row && { version: row.version, deleted: row.deleted === 1, vclock: clockFromJson(row.vclock) });
      }
    });
    return heads;
  }

  /**
   * Appends entries to the log and applies them to the keys, in one transaction: the primary's
   * own writes and a replica's replicated ones alike. They must continue the log exactly.
   */
  applyEntries(entries: Entry[]): void {
    if (entries.length === 0) return;
    entries.forEach((e, i) => {
      if (e.position !== this.last + 1 + i) throw new Error(`entry ${i} of the batch is at position ${e.position}; the log needs ${this.last + 1 + i}`);
    });
    const changes: RowChange[] = [];
    const newTerms: TermStart[] = [];
    this.atomically(() => {
      for (const e of entries) {
        // A purge leaves no row; put and delete leave one (a delete, a tombstone).
        const row = e.op === 'purge' ? undefined : toKvRow(e, e.op === 'delete');
        this.stmt.insertLog.run(e.position, e.term, OPS[e.op], e.key, e.value, e.version, e.hlc.physicalMs, e.hlc.logical, e.origin, row?.vclock ?? clockToJson(e.vclock), e.traceParent);
        changes.push({ key: e.key, before: this.stmt.getHash.get(e.key), after: row?.hash });
        if (row) this.upsert(row);
        else this.stmt.deleteKv.run(e.key);
        // A replica learns the terms from the entries it applies.
        if (!this.history.some((t) => t.term === e.term) && !newTerms.some((t) => t.term === e.term)) {
          this.stmt.addTerm.run(e.term, e.position);
          newTerms.push({ term: e.term, startPosition: e.position });
        }
      }
      const end = entries[entries.length - 1];
      this.stmt.setMeta.run('position', String(end.position));
      if (end.term > this.currentTerm) this.stmt.setMeta.run('term', String(end.term));
    });
    // Only once committed: a failed transaction changed nothing, so neither may the digests.
    this.history.push(...newTerms);
    this.applyChanges(changes);
    const end = entries[entries.length - 1];
    this.last = end.position;
    if (end.term > this.currentTerm) this.currentTerm = end.term;
  }

  /** Up to `limit` entries from `from` on, in order (fewer if the log ends or was truncated). */
  readEntries(from: number, limit: number): Entry[] {
    return this.stmt.readLog.all(from, limit).map(fromLogRow);
  }

  /** First position still in the log; lastPosition + 1 when the log holds nothing. */
  firstRetained(): number {
    return this.stmt.firstLog.get()?.position ?? this.last + 1;
  }

  /** Drops log entries below `position` (their effects stay in the keys). */
  truncateBelow(position: number): number {
    return this.stmt.truncateLogBelow.run(position).changes;
  }

  /** Live keys from `prefix`, after `afterKey`, in key order. */
  list(prefix: string, afterKey: string, limit: number): Stored[] {
    return this.stmt.list.all(prefix, afterKey, prefixEnd(prefix), limit).map(fromKvRow);
  }

  /** Every live key under `prefix`, in key order. */
  listAll(prefix: string): Stored[] {
    return this.stmt.prefixAll.all(prefix, prefixEnd(prefix)).map(fromKvRow);
  }

  /** Keys last written (or purged, while the log holds the purge) after `position`. */
  changedAfter(position: number): string[] {
    return [...new Set([...this.stmt.changedAfter.all(position), ...this.purgedAfter(position)])];
  }

  /** Keys purged after `position`, as far as the log still holds them (a purge leaves no row). */
  purgedAfter(position: number): string[] {
    return this.stmt.purgedAfter.all(position, OPS.purge);
  }

  /**
   * Anti-entropy digests: per bucket, the XOR of the hashes of every stored row but the
   * `excluded` keys, which must include every key written after the position compared at.
   * O(buckets + excluded keys), from the digests kept up to date in memory.
   */
  digests(excluded: ReadonlySet<string>): Buffer[] {
    const result = this.bucketDigests.map((d) => Buffer.from(d));
    for (const key of excluded) {
      const hash = this.stmt.getHash.get(key);
      if (hash) xorInto(result[bucketOf(key)], hash);
    }
    return result;
  }

  /**
   * Checks the digests against what is on disk, a chunk of rows per turn of the event loop: that
   * the digests in memory are the XOR of the hashes stored beside the rows, and that each stored
   * hash is its row's. Whatever differs is corrected, stored hashes and digests alike: that is
   * how anti-entropy notices a row that changed behind this node's back (a bad disk, a hand edit).
   * @returns true when the disk differed.
   */
  async verifyDigests(): Promise<boolean> {
    const storedHashes = emptyDigests();
    // Rows whose stored hash is not their own.
    const stale: string[] = [];
    const reader = new Database(this.path, { readonly: true });
    let expected: Buffer[];
    let expectedKeys = 0;
    let rowsOnDisk = 0;
    try {
      reader.pragma('busy_timeout = 5000');
      reader.exec('BEGIN');
      const rows = reader.prepare<[], KvRow>(`SELECT ${ROW_COLUMNS} FROM kv`).iterate();
      // The read snapshot starts with the first row read; in the same turn of the event loop,
      // the digests in memory describe exactly that state.
      let next = rows.next();
      expected = this.bucketDigests.map((d) => Buffer.from(d));
      expectedKeys = this.keys;
      while (!next.done) {
        const row = next.value;
        xorInto(storedHashes[bucketOf(row.key)], row.hash);
        if (rowHash(row) !== row.hash) stale.push(row.key);
        if (++rowsOnDisk % SCAN_CHUNK === 0) await new Promise((resolve) => setImmediate(resolve));
        next = rows.next();
      }
      reader.exec('COMMIT');
    } finally {
      reader.close();
    }
    // Memory should hold the XOR of the stored hashes. Writes since the scan changed both alike,
    // so what differed then differs now. Each stale hash is rechecked now (its row may have been
    // rewritten since) and replaced by its row's, and the digests corrected by as much.
    const correction = expected.map((e, b) => {
      xorInto(e, storedHashes[b]);
      return e;
    });
    this.atomically(() => {
      for (const key of stale) {
        const row = this.stmt.getKv.get(key);
        if (!row) continue;
        const hash = rowHash(row);
        if (hash === row.hash) continue;
        this.stmt.setHash.run(hash, key);
        xorInto(correction[bucketOf(key)], row.hash);
        xorInto(correction[bucketOf(key)], hash);
      }
    });
    // The key count likewise: a row deleted behind our back is one key fewer.
    let differs = stale.length > 0 || rowsOnDisk !== expectedKeys;
    this.keys += rowsOnDisk - expectedKeys;
    correction.forEach((c, b) => {
      if (c.every((x) => x === 0)) return;
      differs = true;
      xorInto(this.bucketDigests[b], c);
    });
    return differs;
  }

  /** The stored values of one bucket, last written at or before `atPosition`, minus `excluded`. */
  async bucketValues(bucket: number, atPosition: number, excluded: ReadonlySet<string>): Promise<Stored[]> {
    const values: Stored[] = [];
    await this.scan(atPosition, excluded, (row) => {
      if (bucketOf(row.key) === bucket) values.push(fromKvRow(row));
    });
    return values;
  }

  /** Visits, in one read transaction on a separate connection, the rows at or before `atPosition`. */
  private async scan(atPosition: number, excluded: ReadonlySet<string>, visit: (row: StoredRow) => void): Promise<void> {
    const reader = new Database(this.path, { readonly: true });
    try {
      reader.pragma('busy_timeout = 5000');
      reader.exec('BEGIN');
      let n = 0;
      for (const row of reader.prepare<[number], StoredRow>(`SELECT ${STORED_COLUMNS} FROM kv WHERE position <= ?`).iterate(atPosition)) {
        if (!excluded.has(row.key)) visit(row);
        if (++n % SCAN_CHUNK === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      reader.exec('COMMIT');
    } finally {
      reader.close();
    }
  }

  /**
   * Makes one bucket match the primary's `values`: rows that differ are replaced, rows the
   * primary does not have are removed. Returns the keys repaired.
   */
  async repairBucket(bucket: number, atPosition: number, excluded: ReadonlySet<string>, values: Stored[]): Promise<string[]> {
    const wanted = new Map(values.map((v) => [v.key, v]));
    const repaired: string[] = [];
    const locals = await this.bucketValues(bucket, atPosition, excluded);
    const changes: RowChange[] = [];
    this.atomically(() => {
      // Keys written or purged past atPosition while the bucket was read: what this node holds of
      // them is newer than what was compared, so they are left alone. (A purge leaves no row to
      // show its position: changedAfter reads it from the log.)
      const since = new Set(this.changedAfter(atPosition));
      for (const local of locals) {
        if (since.has(local.key)) continue;
        const theirs = wanted.get(local.key);
        const now = this.stmt.getKv.get(local.key);
        if (!theirs && now) {
          this.stmt.deleteKv.run(local.key);
          changes.push({ key: local.key, before: now.hash, after: undefined });
          repaired.push(local.key);
        }
      }
      for (const theirs of values) {
        if (since.has(theirs.key)) continue;
        const now = this.stmt.getKv.get(theirs.key);
        const row = toKvRow(theirs, theirs.deleted);
        // The row's own hash, not the stored one: a repair mends what the row holds.
        if (!now || rowHash(now) !== row.hash) {
          this.upsert(row);
          changes.push({ key: theirs.key, before: now?.hash, after: row.hash });
          repaired.push(theirs.key);
        }
      }
    });
    this.applyChanges(changes);
    return repaired;
  }

  /** Replaces everything with a snapshot: values as of `position`, with the primary's term history. */
  installSnapshot(position: number, history: TermStart[], values: Iterable<Stored>): number {
    let count = 0;
    const digests = emptyDigests();
    this.atomically(() => {
      this.db.exec('DELETE FROM kv; DELETE FROM log; DELETE FROM terms;');
      for (const v of values) {
        const row = toKvRow(v, v.deleted);
        this.upsert(row);
        xorInto(digests[bucketOf(row.key)], row.hash);
        count += 1;
      }
      for (const t of history) this.stmt.addTerm.run(t.term, t.startPosition);
      this.stmt.setMeta.run('position', String(position));
    });
    this.history = history.map((t) => ({ ...t }));
    this.bucketDigests = digests;
    this.keys = count;
    this.last = position;
    const newest = history.at(-1)?.term ?? 0;
    if (newest > this.currentTerm) this.adoptTerm(newest);
    return count;
  }

  /** Forgets all data (keeps the term): before a snapshot, after diverging. */
  wipe(): void {
    // One transaction: a crash in between must not leave a position that claims entries the
    // tables no longer hold (the node would then stream on from there and miss them).
    this.atomically(() => {
      this.db.exec('DELETE FROM kv; DELETE FROM log; DELETE FROM terms;');
      this.stmt.setMeta.run('position', '0');
    });
    this.history = [];
    this.bucketDigests = emptyDigests();
    this.keys = 0;
    this.last = 0;
  }

  /**
   * Reads every stored value at one consistent point, on a separate connection, so writes can
   * go on meanwhile. Call `close()` when done.
   */
  openSnapshotReader(): { position: number; history: TermStart[]; values: () => IterableIterator<Stored>; close: () => void } {
    const reader = new Database(this.path, { readonly: true });
    reader.pragma('busy_timeout = 5000');
    reader.exec('BEGIN');
    const position = Number((reader.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?').get('position')?.value) ?? 0);
    const history = reader
      .prepare<[], { term: number; start_position: number }>('SELECT term, start_position FROM terms ORDER BY term')
      .all()
      .map((r) => ({ term: r.term, startPosition: r.start_position }));
    const iterate = function* () {
      for (const row of reader.prepare<[], StoredRow>(`SELECT ${STORED_COLUMNS} FROM kv ORDER BY key`).iterate()) yield fromKvRow(row);
    };
    return {
      position,
      history,
      values: iterate,
      close: () => {
        if (reader.inTransaction) reader.exec('COMMIT');
        reader.close();
      },
    };
  }

  recordConflict(c: ConflictRecord): void {
    this.stmt.addConflict.run(c.resolvedAtMs, c.key, JSON.stringify(storedToJson(c.winner)), JSON.stringify(storedToJson(c.loser)), c.reason, c.resolvedBy);
    this.stmt.trimConflicts.run(CONFLICTS_KEPT);
  }

  /** Conflicts resolved since the store was created (more than are kept). */
  conflictsResolved(): number {
    return this.stmt.conflictsResolved.get()!.n;
  }

  conflicts(limit: number): ConflictRecord[] {
    return this.stmt.listConflicts.all(limit).map((r) => ({
      resolvedAtMs: r.resolved_at,
      key: r.key,
      winner: storedFromJson(JSON.parse(r.winner) as StoredJson),
      loser: storedFromJson(JSON.parse(r.loser) as StoredJson),
      reason: r.reason,
      resolvedBy: r.resolved_by,
    }));
  }

  private upsert(r: KvRow): void {
    this.stmt.upsertKv.run(r.key, r.value, r.version, r.position, r.deleted, r.hlc_ms, r.hlc_logical, r.origin, r.vclock, r.hash);
  }

  /** Brings the digests in step with committed row changes (never before the commit: a failed transaction changed nothing). */
  private applyChanges(changes: RowChange[]): void {
    for (const { key, before, after } of changes) {
      const digest = this.bucketDigests[bucketOf(key)];
      if (before) xorInto(digest, before);
      if (after) xorInto(digest, after);
      if (!before !== !after) this.keys += after ? 1 : -1;
    }
  }

  private meta(name: string): string | undefined {
    return this.stmt.meta.get(name)?.value;
  }

  close(): void {
    this.db.close();
  }
}

/** A string above every key that starts with `prefix` (keys may not contain U+10FFFF). */
function prefixEnd(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

const OPS: Record<EntryOpName, number> = { put: 1, delete: 2, purge: 3 };
const OP_NAMES = new Map(Object.entries(OPS).map(([name, code]) => [code, name as EntryOpName]));

/** @throws Error for an op this version does not know (a newer one wrote the file): read as a put, it would corrupt the key. */
function fromLogRow(r: LogRow): Entry {
  const op = OP_NAMES.get(r.op);
  if (!op) throw new Error(`log entry at position ${r.position} has op ${r.op}, which this version of shoal does not know`);
  return {
    position: r.position,
    term: r.term,
    op,
    key: r.key,
    value: r.value ?? Buffer.alloc(0),
    version: r.version,
    hlc: { physicalMs: r.hlc_ms, logical: r.hlc_logical },
    origin: r.origin,
    vclock: clockFromJson(r.vclock),
    traceParent: r.trace_parent,
  };
}

/** The row of a key's version: a Stored one, or an entry's (whose op says whether it deletes). */
function toKvRow(v: Omit<Stored, 'deleted'>, deleted: boolean): KvRow {
  const row: KvRow = {
    key: v.key,
    value: deleted ? null : v.value,
    version: v.version,
    position: v.position,
    deleted: deleted ? 1 : 0,
    hlc_ms: v.hlc.physicalMs,
    hlc_logical: v.hlc.logical,
    origin: v.origin,
    vclock: clockToJson(v.vclock),
    hash: '', // of the columns above, just below: one object, not a copy of it
  };
  row.hash = rowHash(row);
  return row;
}

function fromKvRow(r: StoredRow): Stored {
  return {
    key: r.key,
    value: r.value ?? Buffer.alloc(0),
    version: r.version,
    position: r.position,
    deleted: r.deleted === 1,
    hlc: { physicalMs: r.hlc_ms, logical: r.hlc_logical },
    origin: r.origin,
    vclock: clockFromJson(r.vclock),
  };
}

/** A vector clock as the store keeps it: JSON of its sorted entries. */
function clockToJson(clock: VectorClock): string {
  return JSON.stringify(clockEntries(clock));
}

function clockFromJson(json: string): VectorClock {
  return Object.fromEntries(JSON.parse(json) as [string, number][]);
}

/** A stored value as JSON keeps it: the value in base64. */
type StoredJson = Omit<Stored, 'value'> & { value: string };

function storedToJson(s: Stored): StoredJson {
  return { ...s, value: s.value.toString('base64') };
}

function storedFromJson(j: StoredJson): Stored {
  return { ...j, value: Buffer.from(j.value, 'base64') };
}
