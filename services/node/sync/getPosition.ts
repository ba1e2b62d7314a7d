import type { GetPositionRequest, GetPositionResponse } from '../../../gen/shoal/v1/sync';
import { NodeRole } from '../../../gen/shoal/v1/node';
import type { SyncDeps } from './server';
import { replicationOf } from './primaryRedirect';

/**
 * Role, term and position; a newer term in the request is adopted first (that fences an old
 * primary), once justified (Replication.observePeerTerm).
 */
export async function getPosition(deps: SyncDeps, request: GetPositionRequest): Promise<GetPositionResponse> {
  const r = replicationOf(deps, 'GetPosition');
  await r.observePeerTerm(request.term, 'GetPosition');
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
