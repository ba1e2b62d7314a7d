import type { ReleaseWorkerRequest, ReleaseWorkerResponse } from '../../../gen/shoal/v1/events';
import { invalidArgument } from '../../../common/grpc/ServerError';
import type { EventsContext } from './EventsContext';

export function releaseWorker(ctx: EventsContext, request: ReleaseWorkerRequest): ReleaseWorkerResponse {
  if (!request.workerId) throw invalidArgument('worker_id is required');
  const released = ctx.queue.release(request.workerId, request.reason || 'released on request');
  if (released > 0) ctx.node.logger.info({ worker: request.workerId, released, reason: request.reason }, 'released the leases of a worker');
  return { released };
}
