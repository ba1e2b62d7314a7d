import { Metadata, type ServerUnaryCall, status } from '@grpc/grpc-js';
import { WRITTEN_METADATA_KEY } from '../../../common/cluster/primaryMetadataKey';
import { type Attributes, context, propagation, trace } from '@opentelemetry/api';
import { ServerError, unavailable } from '../../../common/grpc/ServerError';
import type { NodeContext } from '../NodeContext';
import { AckTimeout } from '../replication/AckTracker';
import { NotWriting, type WriteOp, type WriteOutcome, VersionMismatch } from '../replication/PrimaryWriter';
import type { EntryOpName } from '../store/types';
import { notPrimary, stateOf } from '../sync/primaryRedirect';

const tracer = trace.getTracer('shoal.state');

/** Answer this long before the caller's deadline, so it hears why rather than DEADLINE_EXCEEDED. */
const DEADLINE_MARGIN_MS = 25;

/** The absolute time by which a call must be answered: its deadline, or now + the default. */
export function answerBy(call: ServerUnaryCall<unknown, unknown>, defaultMs: number): number {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms - DEADLINE_MARGIN_MS : Date.now() + defaultMs;
}

/**
 * The write path shared by Put and Delete: primary only; refused at once when fewer replicas
 * are connected than sync.minAcks (nothing is written then); otherwise written, then
 * acknowledged once enough replicas applied it, or UNAVAILABLE at the deadline.
 */
export function write(
  ctx: NodeContext,
  call: ServerUnaryCall<unknown, unknown>,
  op: EntryOpName,
  key: string,
  value: Buffer,
  expectedVersion: number | undefined,
): Promise<WriteOutcome> {
  return primaryWrite(ctx, { op, key, value, expectedVersion, deadlineMs: answerBy(call, ctx.sync.ackTimeout) });
}

/** One write on the primary, as `write` describes; for the node's own keys (events) too. */
export function primaryWrite(ctx: NodeContext, req: WriteOp & { deadlineMs: number }): Promise<WriteOutcome> {
  return writeOnPrimary(ctx, [req], req.deadlineMs, { 'shoal.op': req.op, 'shoal.key': req.key }).then((outcomes) => outcomes[0]);
}

/**
 * Several ops as one write (the events of a batch): atomic (a failed compare-and-set fails all of
 * them), one log commit, acknowledged under sync.minAcks as one. One outcome per op, in order.
 */
export function primaryWriteAll(ctx: NodeContext, ops: WriteOp[], deadlineMs: number): Promise<WriteOutcome[]> {
  return writeOnPrimary(ctx, ops, deadlineMs, { 'shoal.ops': ops.length });
}

function writeOnPrimary(ctx: NodeContext, ops: WriteOp[], deadlineMs: number, attributes: Attributes): Promise<WriteOutcome[]> {
  const r = stateOf(ctx, 'a write');
  const writer = r.writer;
  if (r.role !== 'primary' || !writer) throw notPrimary(ctx, 'a write');
  const acks = writer.acks;
  const required = ctx.sync.minAcks;
  if (acks.connected < required) {
    const metadata = new Metadata();
    metadata.set(WRITTEN_METADATA_KEY, 'false');
    throw unavailable(`only ${acks.connected} of the ${required} replicas that must acknowledge a write (sync.minAcks) are connected; nothing was written`, metadata);
  }
  return tracer.startActiveSpan('state.write', { attributes: { ...attributes, 'shoal.term': writer.term } }, async (span) => {
    try {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      const outcomes = await writer.writeAll({ ops, traceParent: carrier.traceparent ?? '', deadlineMs });
      const last = outcomes[outcomes.length - 1];
      if (last) {
        span.setAttributes({ 'shoal.position': last.position, 'shoal.version': last.version });
        r.firstWrite.accepted(last.term, last.position, span);
      }
      return outcomes;
    } catch (err) {
      if (err instanceof VersionMismatch) throw new ServerError(status.ABORTED, `compare-and-set failed: ${err.message}`);
      if (err instanceof AckTimeout || err instanceof NotWriting) throw unavailable(err.message);
      throw err;
    } finally {
      span.end();
    }
  });
}
