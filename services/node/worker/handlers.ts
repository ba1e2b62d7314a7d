import type { Logger } from 'pino';
import type { StateClient } from '../../../common/client/StateClient';

/** An event as a handler sees it. */
export interface HandlerEvent {
  id: string;
  type: string;
  key: string;
  payload: Buffer;
  /** Deliveries before this one that did not succeed. */
  attempts: number;
}

/** What a handler gets besides the event. */
export interface HandlerContext {
  logger: Logger;
  /** The cluster's state store (writes go to the primary). */
  state: StateClient;
  /** Aborted when the handler times out (events.handlerTimeout) or the worker stops. */
  signal: AbortSignal;
  /**
   * Writes `key` only if it does not exist yet; false when it did. An effect keyed by the
   * event id (`counter/hits/${event.id}`) so takes effect once however often the event is
   * delivered.
   */
  putOnce(key: string, value: Buffer): Promise<boolean>;
}

/** One handler per event type: its return value (JSON-encoded) is kept as the event's result. */
export type EventHandler = (event: HandlerEvent, ctx: HandlerContext) => Promise<unknown>;

/** A handler that failed in a way retrying cannot fix: the event is dead-lettered at once. */
export class PermanentFailure extends Error {}
