import type { ReleaseWorkerRequest, ReleaseWorkerResponse } from '../../../gen/shoal/v1/events';
import { invalidArgument } from '../../../common/grpc/ServerError';
import type { EventsDeps } from './server';

/** Hands back every lease a worker holds (it is going away); returns how many. */
export function releaseWorker(deps: Pick<EventsDeps, 'queue' | 'logger'>, request: ReleaseWorkerRequest): ReleaseWorkerResponse {
  if (!request.workerId) throw invalidArgument('worker_id is required');
  const released = deps.queue.release(request.workerId, request.reason || 'released on request');
  if (released > 0) deps.logger.info({ worker: request.workerId, released, reason: request.reason }, 'released the leases of a worker');
  return { released };
}
