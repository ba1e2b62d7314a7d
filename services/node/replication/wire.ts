import { context, type Link, propagation, trace } from '@opentelemetry/api';
import {
  EntryOp,
  type HybridTime as HybridTimeProto,
  type LogEntry,
  type StoredValue,
  type TermStart as TermStartProto,
  type VectorClockEntry,
} from '../../../gen/shoal/v1/sync';
import { spansExported } from '../../../common/telemetry/startTracing';
import type { HybridTime } from '../store/hybridClock';
import type { Entry, EntryOpName, Stored, TermStart } from '../store/types';
import { clockEntries, type VectorClock } from '../store/vectorClock';

// Conversions between the store's types and the Sync contract's messages.

/**
 * The log ops this node applies, as a replica's hello says it: 2 knows purge. A primary streams
 * its log only to replicas at this version or later (an older one would apply a purge as a put).
 */
export const LOG_VERSION = 2;

const OP_TO_PROTO: Record<EntryOpName, EntryOp> = { put: EntryOp.ENTRY_OP_PUT, delete: EntryOp.ENTRY_OP_DELETE, purge: EntryOp.ENTRY_OP_PURGE };
const OP_FROM_PROTO = new Map(Object.entries(OP_TO_PROTO).map(([name, op]) => [op, name as EntryOpName]));

/** @throws Error for an op this node does not know: applying it as a put would corrupt the key. */
function opFromProto(op: EntryOp): EntryOpName {
  const name = OP_FROM_PROTO.get(op);
  if (!name) throw new Error(`log entry with unknown op ${op as number}`);
  return name;
}

export function entryToProto(e: Entry): LogEntry {
  return {
    position: e.position,
    term: e.term,
    op: OP_TO_PROTO[e.op],
    key: e.key,
    value: e.value,
    version: e.version,
    hlc: e.hlc,
    origin: e.origin,
    vclock: clockToProto(e.vclock),
    traceParent: e.traceParent,
    expectedVersion: e.expectedVersion,
  };
}

export function entryFromProto(e: LogEntry): Entry {
  return {
    position: e.position,
    term: e.term,
    op: opFromProto(e.op),
    key: e.key,
    value: Buffer.from(e.value),
    version: e.version,
    hlc: hybridFromProto(e.hlc),
    origin: e.origin,
    vclock: clockFromProto(e.vclock),
    traceParent: e.traceParent,
    ...(e.expectedVersion !== undefined && { expectedVersion: e.expectedVersion }),
  };
}

export function storedToProto(s: Stored): StoredValue {
  return {
    key: s.key,
    value: s.value,
    version: s.version,
    position: s.position,
    deleted: s.deleted,
    hlc: s.hlc,
    origin: s.origin,
    vclock: clockToProto(s.vclock),
  };
}

export function storedFromProto(s: StoredValue): Stored {
  return {
    key: s.key,
    value: Buffer.from(s.value),
    version: s.version,
    position: s.position,
    deleted: s.deleted,
    hlc: hybridFromProto(s.hlc),
    origin: s.origin,
    vclock: clockFromProto(s.vclock),
  };
}

/**
 * Span links to the writes of these entries (the first 128), from the traceparents they carry;
 * none when no spans are exported (a batch span is then never recorded, and parsing a
 * traceparent per entry on every node is a cost at thousands of entries a second).
 */
export function linksOf(entries: Entry[]): Link[] {
  const links: Link[] = [];
  if (!spansExported()) return links;
  for (const e of entries.slice(0, 128)) {
    const sc = e.traceParent ? trace.getSpanContext(propagation.extract(context.active(), { traceparent: e.traceParent })) : undefined;
    if (sc) links.push({ context: sc });
  }
  return links;
}

export function termHistoryToProto(history: TermStart[]): TermStartProto[] {
  return history.map((t) => ({ term: t.term, startPosition: t.startPosition }));
}

export function termHistoryFromProto(history: TermStartProto[]): TermStart[] {
  return history.map((t) => ({ term: t.term, startPosition: t.startPosition }));
}

function clockToProto(clock: VectorClock): VectorClockEntry[] {
  return clockEntries(clock).map(([nodeId, counter]) => ({ nodeId, counter }));
}

function clockFromProto(entries: VectorClockEntry[]): VectorClock {
  return Object.fromEntries(entries.map((e) => [e.nodeId, e.counter]));
}

function hybridFromProto(h: HybridTimeProto | undefined): HybridTime {
  return { physicalMs: h?.physicalMs ?? 0, logical: h?.logical ?? 0 };
}
