import { compareHybrid, type HybridTime } from './hybridClock';
import { clockEntries, compareClocks, type VectorClock } from './vectorClock';

/** The parts of a key's version that decide which of two versions stands. */
export interface VersionStamp {
  vclock: VectorClock;
  hlc: HybridTime;
  /** Node that wrote the version. */
  origin: string;
}

export interface Resolution {
  /** 'incoming' replaces the current version, 'current' stays. */
  winner: 'incoming' | 'current';
  /** True when neither version had seen the other: last-write-wins decided. */
  concurrent: boolean;
  reason: string;
}

/**
 * The seed's rule: vector clocks decide causality (a version that has seen the other wins);
 * truly concurrent versions resolve last-write-wins on the hybrid logical clock, node id
 * breaking a tie. Every node applying this to the same two versions picks the same winner.
 */
export function resolveVersions(current: VersionStamp, incoming: VersionStamp): Resolution {
  switch (compareClocks(incoming.vclock, current.vclock)) {
    case 'after':
      return { winner: 'incoming', concurrent: false, reason: 'incoming version has seen the current one' };
    case 'before':
      return { winner: 'current', concurrent: false, reason: 'current version has already seen the incoming one' };
    case 'equal':
      // The same causal history: the same version, unless something went wrong; either way every
      // node must keep the same one.
      return { winner: laterWrite(current, incoming) ? 'incoming' : 'current', concurrent: false, reason: 'same vector clock; later write kept' };
    case 'concurrent': {
      const how = compareHybrid(incoming.hlc, current.hlc) !== 0 ? 'later hybrid time' : 'same hybrid time, higher node id';
      return { winner: laterWrite(current, incoming) ? 'incoming' : 'current', concurrent: true, reason: `concurrent versions; last-write-wins: ${how}` };
    }
  }
}

/**
 * Last-write-wins order: hybrid time, then node id. One node never issues the same hybrid time
 * twice, so that decides; the clocks' text breaks the tie that cannot happen, so that even then
 * every node picks the same version.
 */
function laterWrite(current: VersionStamp, incoming: VersionStamp): boolean {
  const byTime = compareHybrid(incoming.hlc, current.hlc);
  if (byTime !== 0) return byTime > 0;
  if (incoming.origin !== current.origin) return incoming.origin > current.origin;
  return JSON.stringify(clockEntries(incoming.vclock)) > JSON.stringify(clockEntries(current.vclock));
}
