/**
 * Keys the node itself keeps in the replicated store, out of users' reach: they start with
 * U+10FFFF, which user keys may not contain, so no user prefix range (prefix … prefix+U+10FFFF)
 * holds them and Put/Get/Delete refuse them. They replicate, survive failover and are repaired
 * by anti-entropy like any key.
 */
export const SYSTEM_PREFIX = '\u{10FFFF}';

/** Where published events live: one key per event. */
export const EVENTS_PREFIX = `${SYSTEM_PREFIX}events/`;

export function isSystemKey(key: string): boolean {
  return key.startsWith(SYSTEM_PREFIX);
}

export function eventKey(id: string): string {
  return EVENTS_PREFIX + id;
}
