import { type ServerUnaryCall, status } from '@grpc/grpc-js';
import type { AckBatchRequest, AckBatchResponse, AckRequest, AckResponse } from '../../../gen/shoal/v1/events';
import { invalidArgument } from '../../../common/grpc/ServerError';
import { answerBy } from '../state/write';
import type { EventAck } from './EventQueue';
import type { EventsContext } from './EventsContext';
import { MAX_BATCH } from './limits';

export async function ack(ctx: EventsContext, request: AckRequest, call: ServerUnaryCall<AckRequest, AckResponse>): Promise<AckResponse> {
  const [result] = await ctx.queue.ackAll([checkAck(request)], answerBy(call, ctx.node.sync.ackTimeout));
  if (typeof result !== 'number') throw result;
  return { state: result };
}

/** Every ack written at once; each has its own outcome (one stale lease fails only its ack). */
export async function ackBatch(ctx: EventsContext, request: AckBatchRequest, call: ServerUnaryCall<AckBatchRequest, AckBatchResponse>): Promise<AckBatchResponse> {
  if (request.acks.length === 0 || request.acks.length > MAX_BATCH) throw invalidArgument(`acks must hold 1 to ${MAX_BATCH} acks (got ${request.acks.length})`);
  const acks = request.acks.map((a, i) => checkAck(a, `acks[${i}].`));
  const results = await ctx.queue.ackAll(acks, answerBy(call, ctx.node.sync.ackTimeout));
  return { results: results.map((r) => (typeof r === 'number' ? { code: status.OK, message: '', state: r } : { code: r.code, message: r.details, state: 0 })) };
}

const REQUIRED = { workerId: 'worker_id', eventId: 'event_id', leaseId: 'lease_id' } as const;

/** INVALID_ARGUMENT naming the missing fields; the ack as the queue takes it. */
function checkAck(request: AckRequest, at = ''): EventAck {
  const missing = (Object.keys(REQUIRED) as (keyof typeof REQUIRED)[]).filter((f) => !request[f]).map((f) => at + REQUIRED[f]);
  if (missing.length > 0) throw invalidArgument(`worker_id, event_id and lease_id are required (missing: ${missing.join(', ')})`);
  return { ...request, result: Buffer.from(request.result) };
}
