import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { AckRequest, AckResponse } from '../../../gen/shoal/v1/events';
import { invalidArgument } from '../../../common/grpc/ServerError';
import { answerBy } from '../state/write';
import type { EventsContext } from './EventsContext';

export async function ack(ctx: EventsContext, request: AckRequest, call: ServerUnaryCall<AckRequest, AckResponse>): Promise<AckResponse> {
  if (!request.eventId || !request.leaseId || !request.workerId) throw invalidArgument('worker_id, event_id and lease_id are required');
  const state = await ctx.queue.ack({ ...request, result: Buffer.from(request.result) }, answerBy(call, ctx.node.sync.ackTimeout));
  return { state };
}
