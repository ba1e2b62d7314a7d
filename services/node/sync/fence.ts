import type { FenceRequest, FenceResponse } from '../../../gen/shoal/v1/sync';
import { failedPrecondition, invalidArgument } from '../../../common/grpc/ServerError';
import type { SyncDeps } from './server';
import { notPrimary, replicationOf } from './primaryRedirect';

/** Fences the primary for a switchover, or lifts the fence of one that aborted (see WriteFence). */
export async function fence(deps: SyncDeps, request: FenceRequest): Promise<FenceResponse> {
  if (!request.lift && (request.timeoutMs < 100 || request.timeoutMs > 60_000))
    throw invalidArgument(`timeout_ms must be from 100 to 60000, got ${request.timeoutMs}`);
  const r = replicationOf(deps, 'Fence');
  const writer = r.writer;
  if (r.role !== 'primary' || !writer) throw notPrimary(deps, 'Fence');
  if (request.term !== writer.term) throw failedPrecondition(`term ${request.term} is not this primary's term ${writer.term}`);
  if (request.lift) {
    const writing = await writer.fenced.lift();
    deps.logger.info({ term: writer.term, writing }, 'switchover aborted: fence lifted');
    return { term: writer.term, lastPosition: r.store.lastPosition, writing };
  }
  deps.logger.info({ timeoutMs: request.timeoutMs }, 'fenced: refusing writes for a switchover');
  const lastPosition = await writer.fence(request.timeoutMs);
  return { term: writer.term, lastPosition, writing: false };
}
