import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { ListDeadLettersRequest, ListDeadLettersResponse, RedriveRequest, RedriveResponse } from '../../../gen/shoal/v1/events';
import { invalidArgument } from '../../../common/grpc/ServerError';
import { answerBy } from '../state/write';
import type { EventsContext } from './EventsContext';

const MAX_LIST = 1000;

export function listDeadLetters(ctx: EventsContext, request: ListDeadLettersRequest): ListDeadLettersResponse {
  if (request.limit > MAX_LIST) throw invalidArgument(`limit must be at most ${MAX_LIST} (got ${request.limit})`);
  return { events: ctx.queue.deadLetters(request.limit || 100) };
}

/** Redrive sits beside the list it works on. */
export async function redrive(ctx: EventsContext, request: RedriveRequest, call: ServerUnaryCall<RedriveRequest, RedriveResponse>): Promise<RedriveResponse> {
  if (!request.eventId) throw invalidArgument('event_id is required');
  return { event: await ctx.queue.redrive(request.eventId, answerBy(call, ctx.node.sync.ackTimeout)) };
}
