import type { PublishRequest } from '../../../gen/shoal/v1/events';
import { invalidArgument } from '../../../common/grpc/ServerError';
import { MAX_VALUE_BYTES } from '../state/limits';

/** Longest event type name. */
export const MAX_TYPE_CHARS = 128;
/** Longest idempotency key. */
export const MAX_IDEMPOTENCY_KEY_CHARS = 256;
/** Longest event key. */
export const MAX_EVENT_KEY_CHARS = 1024;
/** Most events in one PublishBatch, or one Lease. */
export const MAX_BATCH = 100;
/**
 * Most payload bytes in one Lease answer, and most result and error bytes in one AckBatch:
 * below grpc-js's default 4 MiB message limit, with room for the rest of the message.
 */
export const MAX_MESSAGE_BYTES = 3 * 2 ** 20;
/** Longest a Lease may wait for an event, ms. */
export const MAX_WAIT_MS = 30_000;

/** INVALID_ARGUMENT naming the field and the limit it breaks. */
export function checkPublish(request: PublishRequest, at = ''): void {
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(request.type)) {
    throw invalidArgument(`${at}type must be 1 to ${MAX_TYPE_CHARS} letters, digits, or _ . : - (got "${request.type.slice(0, 40)}")`);
  }
  if (request.key.length > MAX_EVENT_KEY_CHARS) throw invalidArgument(`${at}key is ${request.key.length} characters; the limit is ${MAX_EVENT_KEY_CHARS}`);
  if (request.idempotencyKey.length > MAX_IDEMPOTENCY_KEY_CHARS)
    throw invalidArgument(`${at}idempotency_key is ${request.idempotencyKey.length} characters; the limit is ${MAX_IDEMPOTENCY_KEY_CHARS}`);
  // The record holds the payload as base64 (4/3 of it) within a store value.
  const limit = Math.floor((MAX_VALUE_BYTES * 3) / 4) - 4096;
  if (request.payload.length > limit) throw invalidArgument(`${at}payload is ${request.payload.length} bytes; the limit is ${limit} bytes`);
}
