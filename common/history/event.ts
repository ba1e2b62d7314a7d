/** What a client asked of the State API, as the history's checkers see it. */
export type OpKind = 'read' | 'write' | 'cas' | 'delete';

/**
 * invoke: the client sent it. ok: it was acknowledged. fail: it certainly did not take effect
 * (refused, or a read that got no answer: a read has no effect). unknown: it may or may not take
 * effect, at any time after its invoke (a timeout, a lost connection, `outcome unknown`).
 */
export type EventType = 'invoke' | 'ok' | 'fail' | 'unknown';

/** The value a key holds, or null when it does not exist. */
export type KeyValue = string | null;

/**
 * One line of a history: the invoke or the completion of one operation. An operation's invoke
 * and its completion share `id`; each completion repeats what its invoke said, so a line reads
 * on its own.
 *
 * Every write, cas and delete sets the key to `value` (null for a delete). A cas does so only if
 * the key holds `expected.value` (checked by the node on `expected.version`; the checkers match
 * on the value, so a workload that uses cas writes values unique per key). A read's completion
 * carries the value it read.
 */
export interface HistoryEvent {
  id: number;
  /** Who issued it: a logical client that waits for one operation before the next. */
  client: string;
  type: EventType;
  op: OpKind;
  key: string;
  /** write/cas/delete: the value it sets; a read's ok: the value read (null: absent). */
  value?: KeyValue;
  /** cas: the version it requires and the value that version holds (null: absent, version 0). */
  expected?: { version: number; value: KeyValue };
  /** Epoch ms (fractional): the invoke's time for an invoke, the answer's for a completion. */
  timeMs: number;
  /** The node that answered (its gRPC address), when the client knows it. */
  node?: string;
  /** The answering node's term and log position, when the response says. */
  term?: number;
  position?: number;
  /** The key's version after a write, or as read. */
  version?: number;
  /** The error of a fail or unknown: its gRPC code name and message. */
  error?: string;
}
