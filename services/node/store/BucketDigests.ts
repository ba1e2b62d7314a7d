import { bucketOf, emptyDigests, rowHash, xorInto } from './rowDigest';
import { fromKvRow, type KvRow, ROW_COLUMNS, STORED_COLUMNS, type StoredRow, toKvRow } from './rowCodec';
import { openReader } from './snapshotReader';
import { type Statements, upsertRow } from './statements';
import type { Stored } from './types';

/** Rows hashed per turn of the event loop during an anti-entropy scan. */
const SCAN_CHUNK = 500;

/** How one key's row changed, as the digests see it: the hash removed and the hash added. */
export interface RowChange {
  key: string;
  before: string | undefined;
  after: string | undefined;
}

/** What the digests are kept over: the store's file (read on a second connection), its statements and its transactions. */
export interface DigestedStore {
  readonly path: string;
  readonly stmt: Statements;
  /** Runs `fn` in one transaction (a savepoint inside another). */
  readonly atomically: (fn: () => void) => void;
  /** Keys last written (or purged, while the log holds the purge) after `position`. */
  readonly changedAfter: (position: number) => string[];
}

/**
 * A store's anti-entropy digests: per bucket, the XOR of every stored row's hash (tombstones
 * included), kept up to date as rows change, so a digest costs O(buckets), not a scan of every
 * key; and the number of rows. The store tells it of every change once committed; it checks
 * itself against the disk and repairs buckets on its own.
 */
export class BucketDigests {
  private perBucket: Buffer[] = emptyDigests();
  /** Rows in kv (tombstones and the node's own keys included), kept up to date with the digests. */
  private keys = 0;

  constructor(private readonly store: DigestedStore) {}

  get keyCount(): number {
    return this.keys;
  }

  /** Counts a stored row in (as the store opens: its stored hashes match their rows). */
  add(key: string, hash: string): void {
    xorInto(this.perBucket[bucketOf(key)], hash);
    this.keys += 1;
  }

  /** Brings the digests in step with committed row changes (never before the commit: a failed transaction changed nothing). */
  apply(changes: RowChange[]): void {
    for (const { key, before, after } of changes) {
      const digest = this.perBucket[bucketOf(key)];
      if (before) xorInto(digest, before);
      if (after) xorInto(digest, after);
      if (!before !== !after) this.keys += after ? 1 : -1;
    }
  }

  /** Starts over from `digests` of `keys` rows: those of a snapshot just installed, or of an empty store. */
  reset(digests: Buffer[] = emptyDigests(), keys = 0): void {
    this.perBucket = digests;
    this.keys = keys;
  }

  /**
   * Per bucket, the XOR of the hashes of every stored row but the `excluded` keys, which must
   * include every key written after the position compared at. O(buckets + excluded keys), from
   * the digests kept up to date in memory.
   */
  digests(excluded: ReadonlySet<string>): Buffer[] {
    const result = this.perBucket.map((d) => Buffer.from(d));
    for (const key of excluded) {
      const hash = this.store.stmt.getHash.get(key);
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
  async verify(): Promise<boolean> {
    const storedHashes = emptyDigests();
    // Rows whose stored hash is not their own.
    const stale: string[] = [];
    const reader = openReader(this.store.path);
    let expected: Buffer[];
    let expectedKeys = 0;
    let rowsOnDisk = 0;
    try {
      const rows = reader.prepare<[], KvRow>(`SELECT ${ROW_COLUMNS} FROM kv`).iterate();
      // The read snapshot starts with the first row read; in the same turn of the event loop,
      // the digests in memory describe exactly that state.
      let next = rows.next();
      expected = this.perBucket.map((d) => Buffer.from(d));
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
    const { stmt } = this.store;
    this.store.atomically(() => {
      for (const key of stale) {
        const row = stmt.getKv.get(key);
        if (!row) continue;
        const hash = rowHash(row);
        if (hash === row.hash) continue;
        stmt.setHash.run(hash, key);
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
      xorInto(this.perBucket[b], c);
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

  /**
   * Makes one bucket match the primary's `values`: rows that differ are replaced, rows the
   * primary does not have are removed, keys written or purged after `atPosition` are left alone.
   * Returns the keys repaired.
   */
  async repair(bucket: number, atPosition: number, excluded: ReadonlySet<string>, values: Stored[]): Promise<string[]> {
    const wanted = new Map(values.map((v) => [v.key, v]));
    const repaired: string[] = [];
    const locals = await this.bucketValues(bucket, atPosition, excluded);
    const changes: RowChange[] = [];
    const { stmt } = this.store;
    this.store.atomically(() => {
      // Keys written or purged past atPosition while the bucket was read: what this node holds of
      // them is newer than what was compared, so they are left alone. (A purge leaves no row to
      // show its position: changedAfter reads it from the log.)
      const since = new Set(this.store.changedAfter(atPosition));
      for (const local of locals) {
        if (since.has(local.key)) continue;
        const theirs = wanted.get(local.key);
        const now = stmt.getKv.get(local.key);
        if (!theirs && now) {
          stmt.deleteKv.run(local.key);
          changes.push({ key: local.key, before: now.hash, after: undefined });
          repaired.push(local.key);
        }
      }
      for (const theirs of values) {
        if (since.has(theirs.key)) continue;
        const now = stmt.getKv.get(theirs.key);
        const row = toKvRow(theirs, theirs.deleted);
        // The row's own hash, not the stored one: a repair mends what the row holds.
        if (!now || rowHash(now) !== row.hash) {
          upsertRow(stmt, row);
          changes.push({ key: theirs.key, before: now?.hash, after: row.hash });
          repaired.push(theirs.key);
        }
      }
    });
    this.apply(changes);
    return repaired;
  }

  /** Visits, in one read transaction on a separate connection, the rows at or before `atPosition`. */
  private async scan(atPosition: number, excluded: ReadonlySet<string>, visit: (row: StoredRow) => void): Promise<void> {
    const reader = openReader(this.store.path);
    try {
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
}
