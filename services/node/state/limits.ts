import { invalidArgument } from '../../../common/grpc/ServerError';

/** Largest key, in bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;
/** Largest value, in bytes. */
export const MAX_VALUE_BYTES = 1024 * 1024;
/** Largest List page. */
export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;

/** INVALID_ARGUMENT naming the limit a key breaks. */
export function checkKey(key: string, field = 'key'): void {
  if (key.length === 0) throw invalidArgument(`${field} must not be empty`);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) throw invalidArgument(`${field} is ${bytes} bytes; the limit is ${MAX_KEY_BYTES} bytes of UTF-8`);
  if (key.includes('\u0000') || key.includes('\u{10FFFF}')) throw invalidArgument(`${field} must not contain NUL or U+10FFFF`);
}

export function checkPrefix(prefix: string): void {
  if (prefix.length > 0) checkKey(prefix, 'prefix');
}

export function checkValue(value: Buffer): void {
  if (value.length > MAX_VALUE_BYTES) throw invalidArgument(`value is ${value.length} bytes; the limit is ${MAX_VALUE_BYTES} bytes (1 MiB)`);
}
