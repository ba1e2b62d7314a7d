import type { ListMembersResponse } from '../../../gen/shoal/v1/discovery';
import type { NodeContext } from '../NodeContext';

export function listMembers(ctx: NodeContext): ListMembersResponse {
  const view = ctx.membership.snapshot();
  return { members: view.members, version: view.version, stale: view.stale, lastContactUnixMs: view.lastContactMs };
}
