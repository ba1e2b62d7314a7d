import { z } from 'zod';
import { type Event, EventState } from '../../../gen/shoal/v1/events';

/** An event as the replicated store keeps it (JSON under its system key). */
export interface EventRecord {
  id: string;
  type: string;
  key: string;
  /** base64 */
  payload: string;
  publishedAtMs: number;
  attempts: number;
  state: 'pending' | 'done' | 'dead';
  lastError: string;
  /** base64; what the handler returned. */
  result: string;
  /** When it was done (a keyed done event is kept for events.dedupeWindow from then); absent before. */
  doneAtMs?: number;
  traceparent: string;
}

export function encodeRecord(record: EventRecord): Buffer {
  return Buffer.from(JSON.stringify(record));
}

/** What a stored record must hold to be an event; unknown fields are kept (a newer version's). */
const RECORD_SCHEMA = z.looseObject({
  id: z.string().min(1),
  type: z.string(),
  key: z.string(),
  payload: z.string(),
  publishedAtMs: z.number(),
  attempts: z.number().int().min(0),
  state: z.enum(['pending', 'done', 'dead']),
  lastError: z.string(),
  result: z.string(),
  doneAtMs: z.number().optional(),
  traceparent: z.string(),
});

/** A stored value that is not an event record (not JSON, or without the fields of one). */
export class MalformedRecord extends Error {
  constructor(reason: string) {
    super(`malformed event record: ${reason}`);
    this.name = 'MalformedRecord';
  }
}

/** @throws MalformedRecord saying what is wrong with it. */
export function decodeRecord(value: Buffer): EventRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new MalformedRecord(`not JSON (${(err as Error).message})`);
  }
  const record = RECORD_SCHEMA.safeParse(parsed);
  if (!record.success) {
    const issue = record.error.issues[0];
    throw new MalformedRecord(`${issue.path.join('.') || 'the record'}: ${issue.message}`);
  }
  return record.data;
}

/** The record as the Events API shows it; `leased` for a pending event a worker holds. */
export function toEvent(record: EventRecord, leased = false): Event {
  const state =
    record.state === 'done'
      ? EventState.EVENT_STATE_DONE
      : record.state === 'dead'
        ? EventState.EVENT_STATE_DEAD
        : leased
          ? EventState.EVENT_STATE_LEASED
          : EventState.EVENT_STATE_PENDING;
  return {
    id: record.id,
    type: record.type,
    key: record.key,
    payload: Buffer.from(record.payload, 'base64'),
    publishedAtUnixMs: record.publishedAtMs,
    attempts: record.attempts,
    state,
    lastError: record.lastError,
    traceparent: record.traceparent,
  };
}
