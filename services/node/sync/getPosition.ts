import type { GetPositionRequest, GetPositionResponse } from '../../../gen/shoal/v1/sync';
import { NodeRole } from '../../../gen/shoal/v1/node';
import type { SyncDeps } from './server';
import { replicationOf } from './primaryRedirect';

/** Role, term and position; a newer term in the request is adopted first (that fences an old primary). */
export function getPosition(deps: SyncDeps, request: GetPositionRequest): GetPositionResponse {
  const r = replicationOf(deps, 'GetPosition');
  if (request.term > r.term) r.observeTerm(request.term, 'GetPosition');
  const role = r.role === 'primary' ? NodeRole.NODE_ROLE_PRIMARY : r.role === 'replica' ? NodeRole.NODE_ROLE_REPLICA : NodeRole.NODE_ROLE_UNSPECIFIED;
  const primaryId = r.role === 'primary' ? deps.identity.id : (r.follower?.target.primaryId ?? '');
  return {
    nodeId: deps.identity.id,
    role,
    term: r.term,
    position: r.store.lastPosition,
    primaryId,
    lastEntryTerm: r.store.lastEntryTerm(),
    incarnation: deps.identity.incarnation,
    storeId: r.store.storeId,
  };
}
