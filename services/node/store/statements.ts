import type Database from 'better-sqlite3';
import { type KvRow, type LogRow, ROW_COLUMNS, STORED_COLUMNS, type StoredRow } from './rowCodec';

/**
 * The store's statements on meta, terms, log and kv, prepared once when it opens (the conflict
 * log prepares its own). Positional parameters throughout the write path: binding by name costs
 * more than the SQL.
 */
export function prepareStatements(db: Database.Database) {
  return {
    meta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?'),
    setMeta: db.prepare<[string, string]>('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
    getKv: db.prepare<[string], KvRow>(`SELECT ${ROW_COLUMNS} FROM kv WHERE key = ?`),
    getStored: db.prepare<[string], StoredRow>(`SELECT ${STORED_COLUMNS} FROM kv WHERE key = ?`),
    getHead: db.prepare<[string], { version: number; deleted: number; vclock: string }>('SELECT version, deleted, vclock FROM kv WHERE key = ?'),
    getHash: db.prepare<[string], string>('SELECT lower(hex(hash)) FROM kv WHERE key = ?').pluck(),
    upsertKv: db.prepare<[string, Buffer | null, number, number, number, number, number, string, string, string]>(
      `INSERT INTO kv (key, value, version, position, deleted, hlc_ms, hlc_logical, origin, vclock, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, unhex(?))
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = excluded.version, position = excluded.position,
         deleted = excluded.deleted, hlc_ms = excluded.hlc_ms, hlc_logical = excluded.hlc_logical,
         origin = excluded.origin, vclock = excluded.vclock, hash = excluded.hash`,
    ),
    setHash: db.prepare<[string, string]>('UPDATE kv SET hash = unhex(?) WHERE key = ?'),
    deleteKv: db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
    insertLog: db.prepare<[number, number, number, string, Buffer, number, number, number, string, string, string, number | null]>(
      `INSERT INTO log (position, term, op, key, value, version, hlc_ms, hlc_logical, origin, vclock, trace_parent, expected_version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    readLog: db.prepare<[number, number], LogRow>('SELECT * FROM log WHERE position >= ? ORDER BY position LIMIT ?'),
    firstLog: db.prepare<[], { position: number | null }>('SELECT MIN(position) AS position FROM log'),
    truncateLogBelow: db.prepare<[number]>('DELETE FROM log WHERE position < ?'),
    list: db.prepare<[string, string, string, number], StoredRow>(
      `SELECT ${STORED_COLUMNS} FROM kv WHERE deleted = 0 AND key >= ? AND key > ? AND key < ? ORDER BY key LIMIT ?`,
    ),
    prefixAll: db.prepare<[string, string], StoredRow>(`SELECT ${STORED_COLUMNS} FROM kv WHERE deleted = 0 AND key >= ? AND key < ? ORDER BY key`),
    changedAfter: db.prepare<[number], string>('SELECT key FROM kv WHERE position > ?').pluck(),
    writtenBetween: db.prepare<[number, number], StoredRow>(`SELECT ${STORED_COLUMNS} FROM kv WHERE position >= ? AND position <= ? ORDER BY position`),
    purgedAfter: db.prepare<[number, number], string>('SELECT DISTINCT key FROM log WHERE position > ? AND op = ?').pluck(),
    terms: db.prepare<[], { term: number; start_position: number }>('SELECT term, start_position FROM terms ORDER BY term'),
    addTerm: db.prepare<[number, number]>('INSERT OR REPLACE INTO terms (term, start_position) VALUES (?, ?)'),
  };
}

/** The store's prepared statements (see prepareStatements). */
export type Statements = ReturnType<typeof prepareStatements>;

/** Writes a key's row, inserting it or replacing the one there. */
export function upsertRow(stmt: Statements, r: KvRow): void {
  stmt.upsertKv.run(r.key, r.value, r.version, r.position, r.deleted, r.hlc_ms, r.hlc_logical, r.origin, r.vclock, r.hash);
}
