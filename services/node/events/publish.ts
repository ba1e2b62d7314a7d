import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { PublishBatchRequest, PublishBatchResponse, PublishRequest, PublishResponse } from '../../../gen/shoal/v1/events';
import { invalidArgument } from '../../../common/grpc/ServerError';
import { answerBy } from '../state/write';
import type { EventsContext } from './EventsContext';
import { checkPublish, MAX_BATCH } from './limits';

export function publish(ctx: EventsContext, request: PublishRequest, call: ServerUnaryCall<PublishRequest, PublishResponse>): Promise<PublishResponse> {
  checkPublish(request);
  return ctx.queue.publish(request, answerBy(call, ctx.node.sync.ackTimeout));
}

/** Every event in one replicated write. */
export async function publishBatch(ctx: EventsContext, request: PublishBatchRequest, call: ServerUnaryCall<PublishBatchRequest, PublishBatchResponse>): Promise<PublishBatchResponse> {
  if (request.events.length === 0 || request.events.length > MAX_BATCH) throw invalidArgument(`events must hold 1 to ${MAX_BATCH} events (got ${request.events.length})`);
  request.events.forEach((e, i) => checkPublish(e, `events[${i}].`));
  const deadline = answerBy(call, ctx.node.sync.ackTimeout);
  return { results: await ctx.queue.publishAll(request.events, deadline) };
}
