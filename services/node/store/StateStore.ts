import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { BucketDigests, type RowChange } from './BucketDigests';
import { ConflictLog } from './ConflictLog';
import type { HybridTime } from './hybridClock';
import { bucketOf, emptyDigests, xorInto } from './rowDigest';
import { clockFromJson, clockToJson, fromKvRow, fromLogRow, type KvRow, OPS, toKvRow } from './rowCodec';
import { openDatabase } from './openDatabase';
import { openSnapshotReader, type SnapshotReader } from './snapshotReader';
import { prepareStatements, type Statements, upsertRow } from './statements';
import { TermHistory } from './TermHistory';
import type { ConflictRecord, Entry, FsyncPolicy, KeyHead, Stored, TermStart } from './types';

/** Number of anti-entropy buckets (see rowDigest.ts). */
export { BUCKETS } from './rowDigest';

/**
 * A node's durable state: the replicated log, the keys it materializes, the term history and
 * the current term, in one SQLite file (see openDatabase.ts for why). All methods but the
 * anti-entropy scans are synchronous (better-sqlite3); each mutation is one transaction,
 * committed with the configured fsync policy. This class is the store's one entry point; its
 * pieces: openDatabase.ts, schema.ts, statements.ts, rowCodec.ts, BucketDigests.ts (over
 * rowDigest.ts), TermHistory.ts, ConflictLog.ts and snapshotReader.ts.
 */
export class StateStore {
  private readonly db: Database.Database;
  private last = 0;
  private readonly stmt: Statements;
  /** The current term and which term wrote which stretch of the log. */
  private readonly terms: TermHistory;
  /** The anti-entropy digests and the key count, kept up to date as rows change. */
  private readonly buckets: BucketDigests;
  private readonly conflictLog: ConflictLog;
  private latestHlc: HybridTime = { physicalMs: 0, logical: 0 };
  /**
   * Names this store (its data), made once when the file is created and kept across restarts:
   * the leader record names the primary's store, so an empty store started under the primary's
   * id (a copy on another host) knows the data it is named for is elsewhere.
   */
  readonly storeId: string;
  /**
   * Runs `fn` in one transaction (a savepoint inside another). Built once: better-sqlite3 takes
   * about 8 µs to build a transaction function, as much as a small write's statements.
   */
  private readonly atomically: (fn: () => void) => void;

  constructor(
    readonly path: string,
    fsync: FsyncPolicy,
  ) {
    this.db = openDatabase(path, fsync);
    this.atomically = this.db.transaction((fn: () => void) => fn());
    this.stmt = prepareStatements(this.db);
    this.conflictLog = new ConflictLog(this.db);
    this.buckets = new BucketDigests({ path, stmt: this.stmt, atomically: this.atomically, changedAfter: (position) => this.changedAfter(position) });
    this.last = Number(this.meta('position') ?? 0);
    this.storeId = this.meta('store_id') ?? this.makeStoreId();
    this.terms = new TermHistory(this.stmt, this.atomically);
    // openSchema made every stored hash match its row: the digests can be summed from them.
    for (const row of this.db
      .prepare<[], Pick<KvRow, 'key' | 'hash' | 'hlc_ms' | 'hlc_logical'>>('SELECT key, lower(hex(hash)) AS hash, hlc_ms, hlc_logical FROM kv')
      .iterate()) {
      this.buckets.add(row.key, row.hash);
      if (row.hlc_ms > this.latestHlc.physicalMs || (row.hlc_ms === this.latestHlc.physicalMs && row.hlc_logical > this.latestHlc.logical)) {
        this.latestHlc = { physicalMs: row.hlc_ms, logical: row.hlc_logical };
      }
    }
  }

  /** Keys stored, tombstones and the node's own keys (queued events) included. */
  get keyCount(): number {
    return this.buckets.keyCount;
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
    return this.terms.at(this.last);
  }

  /** The newest term this node has seen; persisted, never decreases. */
  get term(): number {
    return this.terms.term;
  }

  /** Persists a newer term; an older or equal one is ignored. */
  adoptTerm(term: number): boolean {
    return this.terms.adopt(term);
  }

  /** Which term wrote which stretch of the log, oldest first. */
  termHistory(): TermStart[] {
    return this.terms.list();
  }

  /** Records that `term` starts at `startPosition` (a promotion). */
  startTerm(term: number, startPosition: number): void {
    this.terms.start(term, startPosition);
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
        this.stmt.insertLog.run(
          e.position,
          e.term,
          OPS[e.op],
          e.key,
          e.value,
          e.version,
          e.hlc.physicalMs,
          e.hlc.logical,
          e.origin,
          row?.vclock ?? clockToJson(e.vclock),
          e.traceParent,
          e.expectedVersion ?? null,
        );
        changes.push({ key: e.key, before: this.stmt.getHash.get(e.key), after: row?.hash });
        if (row) upsertRow(this.stmt, row);
        else this.stmt.deleteKv.run(e.key);
        // A replica learns the terms from the entries it applies.
        if (!this.terms.has(e.term) && !newTerms.some((t) => t.term === e.term)) newTerms.push({ term: e.term, startPosition: e.position });
      }
      const end = entries[entries.length - 1];
      this.stmt.setMeta.run('position', String(end.position));
      this.terms.writeLearned(newTerms, end.term);
    });
    // Only once committed: a failed transaction changed nothing, so neither may the digests.
    const end = entries[entries.length - 1];
    this.terms.learned(newTerms, end.term);
    this.buckets.apply(changes);
    this.last = end.position;
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

  /** The keys' versions last written at positions `from` to `to` (tombstones included), in log order. */
  writtenBetween(from: number, to: number): Stored[] {
    return this.stmt.writtenBetween.all(from, to).map(fromKvRow);
  }

  /** Keys purged after `position`, as far as the log still holds them (a purge leaves no row). */
  purgedAfter(position: number): string[] {
    return this.stmt.purgedAfter.all(position, OPS.purge);
  }

  /** Anti-entropy digests, per bucket, of every stored row but the `excluded` keys (see BucketDigests.digests). */
  digests(excluded: ReadonlySet<string>): Buffer[] {
    return this.buckets.digests(excluded);
  }

  /**
   * Checks the digests and the stored row hashes against the rows on disk, and corrects whatever
   * differs (see BucketDigests.verify). @returns true when the disk differed.
   */
  verifyDigests(): Promise<boolean> {
    return this.buckets.verify();
  }

  /** The stored values of one bucket, last written at or before `atPosition`, minus `excluded`. */
  bucketValues(bucket: number, atPosition: number, excluded: ReadonlySet<string>): Promise<Stored[]> {
    return this.buckets.bucketValues(bucket, atPosition, excluded);
  }

  /** Makes one bucket match the primary's `values` (see BucketDigests.repair); returns the keys repaired. */
  repairBucket(bucket: number, atPosition: number, excluded: ReadonlySet<string>, values: Stored[]): Promise<string[]> {
    return this.buckets.repair(bucket, atPosition, excluded, values);
  }

  /** Replaces everything with a snapshot: values as of `position`, with the primary's term history. */
  installSnapshot(position: number, history: TermStart[], values: Iterable<Stored>): number {
    let count = 0;
    const digests = emptyDigests();
    this.atomically(() => {
      this.db.exec('DELETE FROM kv; DELETE FROM log; DELETE FROM terms;');
      for (const v of values) {
        const row = toKvRow(v, v.deleted);
        upsertRow(this.stmt, row);
        xorInto(digests[bucketOf(row.key)], row.hash);
        count += 1;
      }
      this.terms.writeReplacement(history);
      this.stmt.setMeta.run('position', String(position));
    });
    this.buckets.reset(digests, count);
    this.last = position;
    this.terms.replaced(history);
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
    this.terms.cleared();
    this.buckets.reset();
    this.last = 0;
  }

  /**
   * Reads every stored value at one consistent point, on a separate connection, so writes can
   * go on meanwhile. Call `close()` when done.
   */
  openSnapshotReader(): SnapshotReader {
    return openSnapshotReader(this.path);
  }

  /** Keeps a conflict's resolution; the log keeps the latest 1000. */
  recordConflict(c: ConflictRecord): void {
    this.conflictLog.record(c);
  }

  /** Conflicts resolved since the store was created (more than are kept). */
  conflictsResolved(): number {
    return this.conflictLog.resolvedCount();
  }

  /** Up to `limit` of the conflict resolutions kept, newest first. */
  conflicts(limit: number): ConflictRecord[] {
    return this.conflictLog.latest(limit);
  }

  /** A store made before store ids existed gets one on open, as a new one does. */
  private makeStoreId(): string {
    const id = randomUUID().slice(0, 8);
    this.stmt.setMeta.run('store_id', id);
    return id;
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
