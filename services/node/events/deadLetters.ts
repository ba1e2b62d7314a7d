import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { ListDeadLettersRequest, ListDeadLettersResponse, RedriveRequest, RedriveResponse } from '../../../gen/shoal/v1/events';
import { invalidArgument } from '../../../common/grpc/ServerError';
import { answerBy } from '../state/write';
import type { EventsDeps } from './server';

const MAX_LIST = 1000;

/** Dead-lettered events, up to `limit` (default 100). */
export function listDeadLetters(deps: Pick<EventsDeps, 'queue'>, request: ListDeadLettersRequest): ListDeadLettersResponse {
  if (request.limit > MAX_LIST) throw invalidArgument(`limit must be at most ${MAX_LIST} (got ${request.limit})`);
  return { events: deps.queue.deadLetters(request.limit || 100) };
}

/** Redrive sits beside the list it works on. */
export async function redrive(
  deps: Pick<EventsDeps, 'queue' | 'sync'>,
  request: RedriveRequest,
  call: ServerUnaryCall<RedriveRequest, RedriveResponse>,
  signal: AbortSignal,
): Promise<RedriveResponse> {
  if (!request.eventId) throw invalidArgument('event_id is required');
  return { event: await deps.queue.redrive(request.eventId, answerBy(call, deps.sync.ackTimeout), signal) };
}
