import { type ServerUnaryCall, status } from '@grpc/grpc-js';
import type { AckBatchRequest, AckBatchResponse, AckRequest, AckResponse } from '../../../gen/shoal/v1/events';
import { invalidArgument } from '../../../common/grpc/ServerError';
import { toStatus } from '../../../common/grpc/toStatus';
import { answerBy } from '../state/write';
import type { EventAck } from './EventQueue';
import { MAX_BATCH } from './limits';
import type { EventsDeps } from './server';

/** Ends one lease with its handler's outcome; the error of a stale lease or an unacknowledged write is the call's. */
export async function ack(
  deps: Pick<EventsDeps, 'queue' | 'sync'>,
  request: AckRequest,
  call: ServerUnaryCall<AckRequest, AckResponse>,
  signal: AbortSignal,
): Promise<AckResponse> {
  const [result] = await deps.queue.ackAll([checkAck(request)], answerBy(call, deps.sync.ackTimeout), signal);
  if (typeof result !== 'number') throw result;
  return { state: result };
}

/** Every ack written at once; each has its own outcome (one stale lease fails only its ack). */
export async function ackBatch(
  deps: Pick<EventsDeps, 'queue' | 'sync' | 'logger'>,
  request: AckBatchRequest,
  call: ServerUnaryCall<AckBatchRequest, AckBatchResponse>,
  signal: AbortSignal,
): Promise<AckBatchResponse> {
  if (request.acks.length === 0 || request.acks.length > MAX_BATCH) throw invalidArgument(`acks must hold 1 to ${MAX_BATCH} acks (got ${request.acks.length})`);
  const acks = request.acks.map((a, i) => checkAck(a, `acks[${i}].`));
  const results = await deps.queue.ackAll(acks, answerBy(call, deps.sync.ackTimeout), signal);
  return {
    results: results.map((r) => {
      if (typeof r === 'number') return { code: status.OK, message: '', state: r };
      // Each ack's error gets the status its own call would have answered.
      const answer = toStatus(r, deps.logger, 'AckBatch');
      return { code: answer.code ?? status.UNKNOWN, message: answer.details ?? r.message, state: 0 };
    }),
  };
}

const REQUIRED = { workerId: 'worker_id', eventId: 'event_id', leaseId: 'lease_id' } as const;

/** INVALID_ARGUMENT naming the missing fields; the ack as the queue takes it. */
function checkAck(request: AckRequest, at = ''): EventAck {
  const missing = (Object.keys(REQUIRED) as (keyof typeof REQUIRED)[]).filter((f) => !request[f]).map((f) => at + REQUIRED[f]);
  if (missing.length > 0) throw invalidArgument(`worker_id, event_id and lease_id are required (missing: ${missing.join(', ')})`);
  return { ...request, result: Buffer.from(request.result) };
}
