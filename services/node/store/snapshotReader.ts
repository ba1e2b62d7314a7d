import Database from 'better-sqlite3';
import { fromKvRow, STORED_COLUMNS, type StoredRow } from './rowCodec';
import type { Stored, TermStart } from './types';

/** Every stored value at one consistent point, read while writes go on. */
export interface SnapshotReader {
  /** The log position the values are as of. */
  position: number;
  /** The term history as of that position, oldest first. */
  history: TermStart[];
  /** Every stored value, tombstones included, in key order. */
  values: () => IterableIterator<Stored>;
  /** Ends the read; call it when done. */
  close: () => void;
}

/**
 * A second, read-only connection to the store's file, in a read transaction: in WAL mode it
 * sees one consistent state (from its first read on) while the store's connection writes.
 * The caller commits and closes it.
 */
export function openReader(path: string): Database.Database {
  const reader = new Database(path, { readonly: true });
  try {
    reader.pragma('busy_timeout = 5000');
    reader.exec('BEGIN');
  } catch (err) {
    reader.close();
    throw err;
  }
  return reader;
}

/** Reads the store at `path` at one consistent point, on a separate connection. */
export function openSnapshotReader(path: string): SnapshotReader {
  const reader = openReader(path);
  const position = Number(reader.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?').get('position')?.value ?? 0);
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
