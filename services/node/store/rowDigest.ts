import { hash } from 'node:crypto';

/**
 * What anti-entropy compares: per bucket of keys, the XOR of the hashes of every stored row
 * (tombstones included). Nodes compare these digests, so every node must hash alike.
 *
 * A row hash travels as lowercase hex, to and from SQLite too (see schema.ts): a string costs
 * far less to make than a Buffer, which is a native allocation each, and the write path makes
 * and reads one per entry.
 */

/** Number of anti-entropy buckets. */
export const BUCKETS = 64;

/** A row hash's length in bytes, and so a digest's. */
const HASH_BYTES = 32;

/** SHA-256 of `data`, one-shot: the Hash object createHash makes costs more than hashing a row. */
function sha256(data: string | Buffer, encoding: 'hex' | 'binary'): string {
  return hash('sha256', data, encoding);
}

/** The bucket a key falls in: the first byte of its SHA-256, modulo BUCKETS. */
export function bucketOf(key: string): number {
  return sha256(key, 'binary').charCodeAt(0) % BUCKETS;
}

/** A stored row's columns that anti-entropy compares: everything but where it sits in the log. */
export interface HashedColumns {
  key: string;
  value: Buffer | null;
  version: number;
  deleted: number;
  hlc_ms: number;
  hlc_logical: number;
  origin: string;
  /** The vector clock as stored: JSON of its sorted entries. */
  vclock: string;
}

/** SHA-256 of the row's columns, then its value, as lowercase hex. */
export function rowHash(r: HashedColumns): string {
  const columns = `${r.key}\u0000${r.version}\u0000${r.deleted}\u0000${r.hlc_ms}.${r.hlc_logical}\u0000${r.origin}\u0000${r.vclock}\u0000`;
  if (!r.value) return sha256(columns, 'hex');
  // One input for the one-shot hash; a small allocUnsafe comes from Node's pool.
  const length = Buffer.byteLength(columns);
  const data = Buffer.allocUnsafe(length + r.value.length);
  data.write(columns, 0);
  data.set(r.value, length);
  return sha256(data, 'hex');
}

export function emptyDigests(): Buffer[] {
  return Array.from({ length: BUCKETS }, () => Buffer.alloc(HASH_BYTES));
}

/** Adds a row's hash (hex) or another digest to a digest, or removes it: with XOR, the same operation. */
export function xorInto(digest: Buffer, other: string | Buffer): void {
  const bytes = typeof other === 'string' ? Buffer.from(other, 'hex') : other;
  for (let i = 0; i < HASH_BYTES; i++) digest[i] ^= bytes[i];
}
