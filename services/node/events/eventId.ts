import { randomBytes } from 'node:crypto';
import type { PublishRequest } from '../../../gen/shoal/v1/events';

/**
 * The event id: from the idempotency key when there is one (so a repeat finds the first), else
 * a UUIDv7. Its time prefix keeps events published together next to each other in the store's
 * key index, so a batch's commit writes a few index pages, not one per event (random UUIDs
 * touched a page each and made commits about twice as slow).
 */
export function eventIdOf(request: PublishRequest): string {
  return request.idempotencyKey ? `${KEYED}${Buffer.from(request.idempotencyKey).toString('base64url')}` : uuidV7();
}

/** How an id made from an idempotency key starts (a UUID never does). */
const KEYED = 'k-';

/** Whether the id was made from an idempotency key: publishing that key again asks for this event. */
export function isKeyedEventId(id: string): boolean {
  return id.startsWith(KEYED);
}

/** Random bytes for this many ids are drawn at once: one call to the system's generator per batch, not per event. */
const IDS_PER_DRAW = 256;
let pool = Buffer.alloc(0);
let offset = 0;

/** RFC 9562 version 7: 48 bits of Unix ms, then random bits (version and variant set). */
export function uuidV7(nowMs = Date.now()): string {
  if (offset === pool.length) {
    pool = randomBytes(16 * IDS_PER_DRAW);
    offset = 0;
  }
  const b = pool.subarray(offset, offset + 16);
  offset += 16;
  b.writeUIntBE(nowMs, 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
