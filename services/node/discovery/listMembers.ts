import type { ListMembersResponse } from '../../../gen/shoal/v1/discovery';
import type { DiscoveryDeps } from './server';

export function listMembers(ctx: Pick<DiscoveryDeps, 'membership'>): ListMembersResponse {
  const view = ctx.membership.snapshot();
  return { members: view.members, version: view.version, stale: view.stale, lastContactUnixMs: view.lastContactMs };
}
