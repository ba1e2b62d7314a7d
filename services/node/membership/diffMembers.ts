import { type Member, type MemberChange, MemberChangeKind } from '../../../gen/shoal/v1/discovery';
import { MemberHealth, NodeRole } from '../../../gen/shoal/v1/node';

/**
 * The changes that turn membership `before` into `after`, ordered by member id; a member
 * whose role and health both changed yields two changes (role first).
 */
export function diffMembers(before: ReadonlyMap<string, Member>, after: ReadonlyMap<string, Member>): MemberChange[] {
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: MemberChange[] = [];
  const change = (
    kind: MemberChangeKind,
    member: Member,
    previousRole = NodeRole.NODE_ROLE_UNSPECIFIED,
    previousHealth = MemberHealth.MEMBER_HEALTH_UNSPECIFIED,
  ) => changes.push({ kind, member, previousRole, previousHealth });
  for (const id of ids) {
    const old = before.get(id);
    const now = after.get(id);
    if (!old && now) change(MemberChangeKind.MEMBER_CHANGE_KIND_JOINED, now);
    else if (old && !now) change(MemberChangeKind.MEMBER_CHANGE_KIND_LEFT, old);
    else if (old && now) {
      if (old.role !== now.role) change(MemberChangeKind.MEMBER_CHANGE_KIND_ROLE_CHANGED, now, old.role);
      if (old.health !== now.health) change(MemberChangeKind.MEMBER_CHANGE_KIND_HEALTH_CHANGED, now, NodeRole.NODE_ROLE_UNSPECIFIED, old.health);
    }
  }
  return changes;
}
