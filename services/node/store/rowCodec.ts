import { type HashedColumns, rowHash } from './rowDigest';
import type { Entry, EntryOpName, Stored } from './types';
import { clockEntries, type VectorClock } from './vectorClock';

/**
 * The store's rows and the values they hold: a log row is an Entry, a kv row a Stored. Columns
 * are snake_case as in schema.ts; a vector clock is stored as JSON, an op as a small number.
 */

/** A kv row as read with ROW_COLUMNS. */
export interface KvRow extends HashedColumns {
  position: number;
  /** rowHash of the row, kept so a write removes the old row's share of the digests without rehashing it. */
  hash: string;
}

/** What a Stored is read from: a kv row read with STORED_COLUMNS. */
export type StoredRow = Omit<KvRow, 'hash'>;

/** kv's columns as a Stored is read from them. */
export const STORED_COLUMNS = 'key, value, version, position, deleted, hlc_ms, hlc_logical, origin, vclock';
/** The same, with the row's hash (as rowDigest keeps it). */
export const ROW_COLUMNS = `${STORED_COLUMNS}, lower(hex(hash)) AS hash`;

/** A log row. */
export interface LogRow {
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
  /** NULL for an unconditional write (and in rows logged before the column existed). */
  expected_version: number | null;
}

/** Each op's code in the log's op column. */
export const OPS: Readonly<Record<EntryOpName, number>> = { put: 1, delete: 2, purge: 3 };
const OP_NAMES = new Map(Object.entries(OPS).map(([name, code]) => [code, name as EntryOpName]));

/** @throws Error for an op this version does not know (a newer one wrote the file): read as a put, it would corrupt the key. */
export function fromLogRow(r: LogRow): Entry {
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
    ...(r.expected_version !== null && { expectedVersion: r.expected_version }),
  };
}

/** The row of a key's version, hash included: a Stored one, or an entry's (whose op says whether it deletes). */
export function toKvRow(v: Omit<Stored, 'deleted'>, deleted: boolean): KvRow {
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

/** The version a kv row holds (a tombstone's value is empty). */
export function fromKvRow(r: StoredRow): Stored {
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
export function clockToJson(clock: VectorClock): string {
  return JSON.stringify(clockEntries(clock));
}

/** A vector clock from its stored JSON (see clockToJson). */
export function clockFromJson(json: string): VectorClock {
  return Object.fromEntries(JSON.parse(json) as [string, number][]);
}
