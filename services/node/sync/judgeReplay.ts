import { resolveVersions } from '../store/resolveVersions';
import type { Entry, Stored } from '../store/types';

/** How the old primary's previous entry of the key (in what it handed over) fared here. */
export type PreviousReplay = 'none' | 'replayed' | 'dropped';

/** What this primary holds of a key, as far as replaying an old primary's entry of it needs. */
export interface KeyHere {
  /** The key's version here, tombstones included; undefined when this primary has no row of it. */
  current: Stored | undefined;
  /** This primary wrote or purged the key after the fork point (where the two logs parted). */
  changedSinceFork: boolean;
  /** The entry before this one of the key, in the old primary's suffix. */
  previous: PreviousReplay;
}

/** Whether to write an old primary's entry again here, and what to record. */
export interface ReplayDecision {
  /** Write the entry again, in this primary's term. */
  apply: boolean;
  /**
   * For a compare-and-set that holds: the version the key must still have here when the entry
   * is written again (the writer checks it in the same commit, so a write that came between
   * this decision and that commit turns it into a conflict).
   */
  expectedVersion?: number;
  /** Record a conflict: the entry and this primary's version disagreed (`apply` says which stands). */
  conflict: boolean;
  reason: string;
}

/** The version a compare-and-set compares with: a tombstone or no row counts as 0 (no live key). */
export function liveVersion(s: Stored | undefined): number {
  return s && !s.deleted ? s.version : 0;
}

/**
 * Decides one entry of an old primary's unacknowledged suffix (see reconcile.ts), given what
 * this primary holds of its key.
 *
 * A compare-and-set is replayed only if the key here is still the very state it was written
 * over: for the key's first entry in the suffix, this primary has not changed the key since the
 * fork and its version is the one expected; for a later one, the old primary's previous entry
 * of the key was itself replayed here. Version numbers alone cannot tell: after the fork both
 * primaries may have given the same number to different writes. A compare-and-set that no
 * longer holds is a conflict and is not applied, whatever the clocks say: a client may have
 * been told that another write with the same expectation succeeded.
 *
 * An unconditional write is weighed as before: the causally newer version wins, concurrent
 * ones resolve last-write-wins (and are a conflict).
 */
export function judgeReplay(entry: Entry, here: KeyHere): ReplayDecision {
  const { current } = here;
  if (entry.expectedVersion !== undefined) {
    const expected = entry.expectedVersion;
    if (here.previous === 'dropped') {
      return {
        apply: false,
        conflict: true,
        reason: `compare-and-set at version ${expected} no longer holds: the old primary's earlier write of the key that it expected was not taken here`,
      };
    }
    if (here.previous === 'none') {
      if (here.changedSinceFork) {
        return {
          apply: false,
          conflict: true,
          reason: `compare-and-set at version ${expected} no longer holds: the key was written here since the logs parted (now version ${liveVersion(current)})`,
        };
      }
      if (liveVersion(current) !== expected) {
        return {
          apply: false,
          conflict: true,
          reason: `compare-and-set at version ${expected} no longer holds: the key is at version ${liveVersion(current)} here`,
        };
      }
    }
    return { apply: true, expectedVersion: liveVersion(current), conflict: false, reason: `compare-and-set at version ${expected} still holds here` };
  }
  if (!current) return { apply: true, conflict: false, reason: 'the key is new here' };
  const incoming: Stored = {
    key: entry.key,
    value: entry.value,
    version: entry.version,
    position: entry.position,
    deleted: entry.op === 'delete',
    hlc: entry.hlc,
    origin: entry.origin,
    vclock: entry.vclock,
  };
  const resolution = resolveVersions(current, incoming);
  return { apply: resolution.winner === 'incoming', conflict: resolution.concurrent, reason: resolution.reason };
}
