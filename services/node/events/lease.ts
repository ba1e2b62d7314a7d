import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { LeaseRequest, LeaseResponse } from '../../../gen/shoal/v1/events';
import { invalidArgument } from '../../../common/grpc/ServerError';
import type { EventsContext } from './EventsContext';
import { MAX_BATCH, MAX_WAIT_MS } from './limits';

export async function lease(ctx: EventsContext, request: LeaseRequest, call: ServerUnaryCall<LeaseRequest, LeaseResponse>): Promise<LeaseResponse> {
  if (!request.workerId) throw invalidArgument('worker_id is required');
  if (request.maxEvents < 1 || request.maxEvents > MAX_BATCH) throw invalidArgument(`max_events must be 1 to ${MAX_BATCH} (got ${request.maxEvents})`);
  if (request.waitMs > MAX_WAIT_MS) throw invalidArgument(`wait_ms must be at most ${MAX_WAIT_MS} (got ${request.waitMs})`);
  if (request.leaseMs !== 0 && (request.leaseMs < 100 || request.leaseMs > 3_600_000)) throw invalidArgument(`lease_ms must be 0 (default) or 100 to 3600000 (got ${request.leaseMs})`);
  const cancelled = new AbortController();
  call.once('cancelled', () => cancelled.abort());
  const signal = AbortSignal.any([cancelled.signal, ctx.node.lifecycle.drainSignal]);
  return { events: await ctx.queue.lease(request.workerId, request.maxEvents, request.leaseMs || ctx.config.leaseMs, request.waitMs, signal) };
}
