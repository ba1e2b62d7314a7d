import type { HybridTime } from './hybridClock';
import type { VectorClock } from './vectorClock';

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
  /**
   * Set when the change was a compare-and-set: the version the key had to have (0 = no live
   * key). Reconciliation replays such an entry only if that still holds. Absent for an
   * unconditional write, and for entries logged before shoal recorded conditions.
   */
  expectedVersion?: number;
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

/** Where a term's stretch of the log begins: the first position that term wrote. */
export interface TermStart {
  term: number;
  startPosition: number;
}

/** One conflict between two versions of a key, as resolved and kept in the conflict log. */
export interface ConflictRecord {
  resolvedAtMs: number;
  key: string;
  /**
   * The version that stands; absent when none does where this was resolved (the key has no row
   * there), or when it is the primary's and this node could not see it (see Follower.ts).
   */
  winner?: Stored;
  loser: Stored;
  reason: string;
  /** Id of the node that resolved it. */
  resolvedBy: string;
}
