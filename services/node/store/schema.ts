import type Database from 'better-sqlite3';
import { rowHash } from './rowDigest';

/**
 * The store's tables. kv keeps each row's anti-entropy hash beside it, so a write reads the
 * old row's share of the digests instead of reading the whole row and hashing it again. The
 * hash is stored as 32 bytes and crosses to JavaScript as hex: written with unhex(?), read
 * with lower(hex(hash)) (see rowDigest.ts for why).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS terms (term INTEGER PRIMARY KEY, start_position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log (
  position INTEGER PRIMARY KEY, term INTEGER NOT NULL, op INTEGER NOT NULL, key TEXT NOT NULL,
  value BLOB, version INTEGER NOT NULL, hlc_ms INTEGER NOT NULL, hlc_logical INTEGER NOT NULL,
  origin TEXT NOT NULL, vclock TEXT NOT NULL, trace_parent TEXT NOT NULL, expected_version INTEGER);
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY, value BLOB, version INTEGER NOT NULL, position INTEGER NOT NULL,
  deleted INTEGER NOT NULL, hlc_ms INTEGER NOT NULL, hlc_logical INTEGER NOT NULL,
  origin TEXT NOT NULL, vclock TEXT NOT NULL, hash BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS kv_position ON kv(position);
CREATE TABLE IF NOT EXISTS conflicts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, resolved_at INTEGER NOT NULL, key TEXT NOT NULL,
  winner TEXT NOT NULL, loser TEXT NOT NULL, reason TEXT NOT NULL, resolved_by TEXT NOT NULL);
`;

/**
 * Creates the tables in a new file, or brings an existing one up to date, in one transaction:
 * a file written before kv kept row hashes gets the column, one written before the log kept
 * a compare-and-set's expected version gets that one (NULL in the rows already there: they
 * reconcile as unconditional writes, as they did when they were written). Then every row whose stored hash
 * does not match it gets it recomputed (all of them after that migration; otherwise only a row
 * changed behind the store's back while it was closed), so the digests built from the stored
 * hashes describe the rows.
 */
export function openSchema(db: Database.Database): void {
  db.function(
    'row_hash',
    { deterministic: true },
    (key: string, value: Buffer | null, version: number, deleted: number, hlcMs: number, hlcLogical: number, origin: string, vclock: string) =>
      rowHash({ key, value, version, deleted, hlc_ms: hlcMs, hlc_logical: hlcLogical, origin, vclock }),
  );
  const hashOf = 'row_hash(key, value, version, deleted, hlc_ms, hlc_logical, origin, vclock)';
  db.transaction(() => {
    db.exec(SCHEMA);
    const columns = db.pragma('table_info(kv)') as { name: string }[];
    if (!columns.some((c) => c.name === 'hash')) db.exec("ALTER TABLE kv ADD COLUMN hash BLOB NOT NULL DEFAULT x''");
    const logColumns = db.pragma('table_info(log)') as { name: string }[];
    if (!logColumns.some((c) => c.name === 'expected_version')) db.exec('ALTER TABLE log ADD COLUMN expected_version INTEGER');
    db.exec(`UPDATE kv SET hash = unhex(${hashOf}) WHERE lower(hex(hash)) IS NOT ${hashOf}`);
  })();
}
