import type { ServerUnaryCall } from '@grpc/grpc-js';
import { type Attributes, context, propagation, trace } from '@opentelemetry/api';
import { WRITTEN_METADATA_KEY } from '../../../common/cluster/primaryMetadataKey';
import type { SyncConfig } from '../../../common/config/clusterConfig';
import { DomainError } from '../../../common/errors/DomainError';
import type { WriteOp, WriteOutcome } from '../replication/PrimaryWriter';
import type { Replication } from '../replication/Replication';
import type { EntryOpName } from '../store/types';
import { notPrimary, type RedirectDeps, replicationOf } from '../sync/primaryRedirect';

const tracer = trace.getTracer('shoal.state');

/** Answer this long before the caller's deadline, so it hears why rather than DEADLINE_EXCEEDED. */
const DEADLINE_MARGIN_MS = 25;

/** What the write path reads of the node's replication. */
export type WriteReplication = Pick<Replication, 'role' | 'primaryAddress' | 'writer' | 'firstWrite'>;

/** What the write path needs: the replication (a primary's writer), sync.minAcks and sync.ackTimeout, and what a redirect names. */
export interface WriteDeps<R extends WriteReplication = WriteReplication> extends RedirectDeps<R> {
  sync: Pick<SyncConfig, 'minAcks' | 'ackTimeout'>;
}

/** The absolute time by which a call must be answered: its deadline, or now + the default. */
export function answerBy(call: ServerUnaryCall<unknown, unknown>, defaultMs: number): number {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms - DEADLINE_MARGIN_MS : Date.now() + defaultMs;
}

/**
 * The write path shared by Put and Delete: primary only; refused at once when fewer replicas
 * are connected than sync.minAcks (nothing is written then); otherwise written, then
 * acknowledged once enough replicas applied it. Throws the `notPrimary` redirect, a
 * VersionMismatch (conflict), NotWriting or AckTimeout (unavailable) at the deadline, or the
 * signal's reason when the caller left before the acks came.
 */
export function write(
  deps: WriteDeps,
  call: ServerUnaryCall<unknown, unknown>,
  signal: AbortSignal,
  op: EntryOpName,
  key: string,
  value: Buffer,
  expectedVersion: number | undefined,
): Promise<WriteOutcome> {
  return primaryWrite(deps, { op, key, value, expectedVersion, deadlineMs: answerBy(call, deps.sync.ackTimeout), signal });
}

/** One write on the primary, as `write` describes; for the node's own keys (events) too. */
export function primaryWrite(deps: WriteDeps, req: WriteOp & { deadlineMs: number; signal?: AbortSignal }): Promise<WriteOutcome> {
  return writeOnPrimary(deps, [req], req.deadlineMs, req.signal, { 'shoal.op': req.op, 'shoal.key': req.key }).then((outcomes) => outcomes[0]);
}

/**
 * Several ops as one write (the events of a batch): atomic (a failed compare-and-set fails all of
 * them), one log commit, acknowledged under sync.minAcks as one. One outcome per op, in order.
 */
export function primaryWriteAll(deps: WriteDeps, ops: WriteOp[], deadlineMs: number, signal?: AbortSignal): Promise<WriteOutcome[]> {
  return writeOnPrimary(deps, ops, deadlineMs, signal, { 'shoal.ops': ops.length });
}

function writeOnPrimary(deps: WriteDeps, ops: WriteOp[], deadlineMs: number, signal: AbortSignal | undefined, attributes: Attributes): Promise<WriteOutcome[]> {
  const r = replicationOf(deps, 'a write');
  const writer = r.writer;
  if (r.role !== 'primary' || !writer) throw notPrimary(deps, 'a write');
  const acks = writer.acks;
  const required = deps.sync.minAcks;
  if (acks.connected < required) {
    throw new DomainError(
      'unavailable',
      `only ${acks.connected} of the ${required} replicas that must acknowledge a write (sync.minAcks) are connected; nothing was written`,
      { [WRITTEN_METADATA_KEY]: 'false' },
    );
  }
  return tracer.startActiveSpan('state.write', { attributes: { ...attributes, 'shoal.term': writer.term } }, async (span) => {
    try {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      const outcomes = await writer.writeAll({ ops, traceParent: carrier.traceparent ?? '', deadlineMs, signal });
      const last = outcomes[outcomes.length - 1];
      if (last) {
        span.setAttributes({ 'shoal.position': last.position, 'shoal.version': last.version });
        r.firstWrite.accepted(last.term, last.position, span);
      }
      return outcomes;
    } finally {
      span.end();
    }
  });
}
