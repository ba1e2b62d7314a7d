import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { openSchema } from './schema';
import type { FsyncPolicy } from './types';

/**
 * Opens (creating it and its folder if need be) the store's SQLite file, with its tables up to
 * date (see schema.ts). Why SQLite (better-sqlite3 12): one file per node holds the log, the
 * materialized keys and the term history, and each batch of changes commits in one
 * transaction, so the log and the state can never disagree after a crash. WAL mode lets the
 * snapshot sender read a consistent view on a second connection while writes go on.
 */
export function openDatabase(path: string, fsync: FsyncPolicy): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // FULL: the WAL is fsynced at every commit, so an acknowledged write survives power loss.
  // NORMAL: fsynced at checkpoints only; survives a process crash (kill -9), not an OS crash.
  db.pragma(`synchronous = ${fsync === 'always' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  openSchema(db);
  return db;
}
