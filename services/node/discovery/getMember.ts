import type { GetMemberRequest, GetMemberResponse } from '../../../gen/shoal/v1/discovery';
import { isValidNodeId } from '../../../common/config/clusterConfig';
import { invalidArgument, notFound } from '../../../common/grpc/ServerError';
import type { DiscoveryDeps } from './server';

export function getMember(ctx: Pick<DiscoveryDeps, 'identity' | 'membership'>, request: GetMemberRequest): GetMemberResponse {
  if (!request.id) throw invalidArgument('id is required');
  if (!isValidNodeId(request.id)) throw invalidArgument(`id "${request.id}" is not a node id (lowercase letters, digits and dashes, 1-63 long)`);
  const member = ctx.membership.get(request.id);
  if (!member) {
    const known =
      ctx.membership
        .snapshot()
        .members.map((m) => m.id)
        .join(', ') || 'none';
    throw notFound(`no member "${request.id}" in cluster ${ctx.identity.cluster} (members: ${known})`);
  }
  return { member };
}
