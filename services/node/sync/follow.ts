import type { FollowRequest, FollowResponse } from '../../../gen/shoal/v1/sync';
import { failedPrecondition, invalidArgument } from '../../../common/grpc/ServerError';
import type { SyncDeps } from './server';
import { replicationOf } from './primaryRedirect';

export async function follow(deps: SyncDeps, request: FollowRequest): Promise<FollowResponse> {
  const r = replicationOf(deps, 'Follow');
  if (!request.primaryId || !request.primaryAddress) throw invalidArgument('primary_id and primary_address are required');
  if (request.primaryId === deps.identity.id) throw invalidArgument('a node cannot follow itself; use Promote');
  if (request.term < r.term) throw failedPrecondition(`term ${request.term} is older than this node's ${r.term}`);
  await r.observePeerTerm(request.term, `Follow of ${request.primaryId}`);
  await r.follow({ term: request.term, primaryId: request.primaryId, primaryAddress: request.primaryAddress }, 'told to follow');
  return { term: r.term };
}
