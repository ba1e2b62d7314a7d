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

export function decodeRecord(value: Buffer): EventRecord {
  return JSON.parse(value.toString('utf8')) as EventRecord;
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
