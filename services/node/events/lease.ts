import type { LeaseRequest, LeaseResponse } from '../../../gen/shoal/v1/events';
import { invalidArgument } from '../../../common/grpc/ServerError';
import { MAX_BATCH, MAX_WAIT_MS } from './limits';
import type { EventsDeps } from './server';

/** Leases up to max_events pending events, waiting up to wait_ms for the first; none once the caller left or the node drains. */
export async function lease(deps: Pick<EventsDeps, 'queue' | 'config'>, request: LeaseRequest, signal: AbortSignal): Promise<LeaseResponse> {
  if (!request.workerId) throw invalidArgument('worker_id is required');
  if (request.maxEvents < 1 || request.maxEvents > MAX_BATCH) throw invalidArgument(`max_events must be 1 to ${MAX_BATCH} (got ${request.maxEvents})`);
  if (request.waitMs > MAX_WAIT_MS) throw invalidArgument(`wait_ms must be at most ${MAX_WAIT_MS} (got ${request.waitMs})`);
  if (request.leaseMs !== 0 && (request.leaseMs < 100 || request.leaseMs > 3_600_000))
    throw invalidArgument(`lease_ms must be 0 (default) or 100 to 3600000 (got ${request.leaseMs})`);
  return { events: await deps.queue.lease(request.workerId, request.maxEvents, request.leaseMs || deps.config.leaseMs, request.waitMs, signal) };
}
