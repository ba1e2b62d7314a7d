import type Database from 'better-sqlite3';
import type { ConflictRecord, Stored } from './types';

/** How many conflict resolutions are kept. */
const CONFLICTS_KEPT = 1000;

function prepareConflictStatements(db: Database.Database) {
  return {
    add: db.prepare('INSERT INTO conflicts (resolved_at, key, winner, loser, reason, resolved_by) VALUES (?, ?, ?, ?, ?, ?)'),
    trim: db.prepare<[number]>('DELETE FROM conflicts WHERE id <= (SELECT MAX(id) FROM conflicts) - ?'),
    // Ids only grow and trimming keeps the newest, so the highest id counts every resolution.
    resolved: db.prepare<[], { n: number }>('SELECT COALESCE(MAX(id), 0) AS n FROM conflicts'),
    list: db.prepare<[number], { resolved_at: number; key: string; winner: string; loser: string; reason: string; resolved_by: string }>(
      'SELECT * FROM conflicts ORDER BY id DESC LIMIT ?',
    ),
  };
}

/** The store's conflicts table: the latest CONFLICTS_KEPT resolutions, and a count of them all. */
export class ConflictLog {
  private readonly stmt: ReturnType<typeof prepareConflictStatements>;

  constructor(db: Database.Database) {
    this.stmt = prepareConflictStatements(db);
  }

  /** Keeps a resolution, forgetting the oldest beyond CONFLICTS_KEPT (1000). */
  record(c: ConflictRecord): void {
    this.stmt.add.run(
      c.resolvedAtMs,
      c.key,
      JSON.stringify(c.winner ? storedToJson(c.winner) : null),
      JSON.stringify(storedToJson(c.loser)),
      c.reason,
      c.resolvedBy,
    );
    this.stmt.trim.run(CONFLICTS_KEPT);
  }

  /** Conflicts resolved since the store was created (more than are kept). */
  resolvedCount(): number {
    return this.stmt.resolved.get()!.n;
  }

  /** Up to `limit` of the resolutions kept, newest first. */
  latest(limit: number): ConflictRecord[] {
    return this.stmt.list.all(limit).map((r) => ({
      resolvedAtMs: r.resolved_at,
      key: r.key,
      ...winnerOf(JSON.parse(r.winner) as StoredJson | null),
      loser: storedFromJson(JSON.parse(r.loser) as StoredJson),
      reason: r.reason,
      resolvedBy: r.resolved_by,
    }));
  }
}

/** A stored value as JSON keeps it: the value in base64. */
type StoredJson = Omit<Stored, 'value'> & { value: string };

function storedToJson(s: Stored): StoredJson {
  return { ...s, value: s.value.toString('base64') };
}

/** The winner as the record spreads it: no property at all when none stood. */
function winnerOf(j: StoredJson | null): { winner?: Stored } {
  return j ? { winner: storedFromJson(j) } : {};
}

function storedFromJson(j: StoredJson): Stored {
  return { ...j, value: Buffer.from(j.value, 'base64') };
}
