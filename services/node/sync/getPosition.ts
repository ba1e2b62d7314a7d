import type { GetPositionRequest, GetPositionResponse } from '../../../gen/shoal/v1/sync';
import { NodeRole } from '../../../gen/shoal/v1/node';
import type { NodeContext } from '../NodeContext';
import { stateOf } from './primaryRedirect';

/** Role, term and position; a newer term in the request is adopted first (that fences an old primary). */
export function getPosition(ctx: NodeContext, request: GetPositionRequest): GetPositionResponse {
  const r = stateOf(ctx, 'GetPosition');
  if (request.term > r.term) r.observeTerm(request.term, 'GetPosition');
  const role = r.role === 'primary' ? NodeRole.NODE_ROLE_PRIMARY : r.role === 'replica' ? NodeRole.NODE_ROLE_REPLICA : NodeRole.NODE_ROLE_UNSPECIFIED;
  const primaryId = r.role === 'primary' ? ctx.identity.id : (r.follower?.target.primaryId ?? '');
  return { nodeId: ctx.identity.id, role, term: r.term, position: r.store.lastPosition, primaryId, lastEntryTerm: r.store.lastEntryTerm() };
}
