import type { FollowRequest, FollowResponse } from '../../../gen/shoal/v1/sync';
import { failedPrecondition, invalidArgument } from '../../../common/grpc/ServerError';
import type { NodeContext } from '../NodeContext';
import { stateOf } from './primaryRedirect';

export async function follow(ctx: NodeContext, request: FollowRequest): Promise<FollowResponse> {
  const r = stateOf(ctx, 'Follow');
  if (!request.primaryId || !request.primaryAddress) throw invalidArgument('primary_id and primary_address are required');
  if (request.primaryId === ctx.identity.id) throw invalidArgument('a node cannot follow itself; use Promote');
  if (request.term < r.term) throw failedPrecondition(`term ${request.term} is older than this node's ${r.term}`);
  await r.follow({ term: request.term, primaryId: request.primaryId, primaryAddress: request.primaryAddress }, 'told to follow');
  return { term: r.term };
}
