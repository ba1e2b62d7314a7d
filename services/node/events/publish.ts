import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { PublishBatchRequest, PublishBatchResponse, PublishRequest, PublishResponse } from '../../../gen/shoal/v1/events';
import { invalidArgument } from '../../../common/grpc/ServerError';
import { answerBy } from '../state/write';
import { checkPublish, MAX_BATCH } from './limits';
import type { EventsDeps } from './server';

/** Publishes one event, answered once sync.minAcks replicas hold it. */
export function publish(
  deps: Pick<EventsDeps, 'queue' | 'sync'>,
  request: PublishRequest,
  call: ServerUnaryCall<PublishRequest, PublishResponse>,
  signal: AbortSignal,
): Promise<PublishResponse> {
  checkPublish(request);
  return deps.queue.publish(request, answerBy(call, deps.sync.ackTimeout), signal);
}

/** Every event in one replicated write. */
export async function publishBatch(
  deps: Pick<EventsDeps, 'queue' | 'sync'>,
  request: PublishBatchRequest,
  call: ServerUnaryCall<PublishBatchRequest, PublishBatchResponse>,
  signal: AbortSignal,
): Promise<PublishBatchResponse> {
  if (request.events.length === 0 || request.events.length > MAX_BATCH)
    throw invalidArgument(`events must hold 1 to ${MAX_BATCH} events (got ${request.events.length})`);
  request.events.forEach((e, i) => checkPublish(e, `events[${i}].`));
  const deadline = answerBy(call, deps.sync.ackTimeout);
  return { results: await deps.queue.publishAll(request.events, deadline, signal) };
}
