import assert from 'node:assert/strict';
import { type Member, MemberChangeKind } from '../../gen/shoal/v1/discovery';
import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import { diffMembers } from '../../services/node/membership/diffMembers';

const member = (id: string, role = NodeRole.NODE_ROLE_WORKER, health = MemberHealth.MEMBER_HEALTH_PASSING): Member => ({
  id,
  role,
  grpcAddress: `127.0.0.1:${id.length}`,
  httpAddress: '',
  health,
  version: '0.1.0',
  consulNode: 'n',
  checks: [],
});
const view = (...members: Member[]) => new Map(members.map((m) => [m.id, m]));

describe('diffMembers', function () {
  it('reports nothing for the same view', function () {
    assert.deepEqual(diffMembers(view(member('a')), view(member('a'))), []);
  });

  it('reports joins and leaves in id order', function () {
    const changes = diffMembers(view(member('b'), member('c')), view(member('a'), member('c')));
    assert.deepEqual(
      changes.map((c) => [c.kind, c.member?.id]),
      [
        [MemberChangeKind.MEMBER_CHANGE_KIND_JOINED, 'a'],
        [MemberChangeKind.MEMBER_CHANGE_KIND_LEFT, 'b'],
      ],
    );
  });

  it('reports a role change with the previous role, then a health change with the previous health', function () {
    const before = view(member('r', NodeRole.NODE_ROLE_REPLICA, MemberHealth.MEMBER_HEALTH_PASSING));
    const after = view(member('r', NodeRole.NODE_ROLE_PRIMARY, MemberHealth.MEMBER_HEALTH_CRITICAL));
    const changes = diffMembers(before, after);
    assert.deepEqual(
      changes.map((c) => [c.kind, c.previousRole, c.previousHealth]),
      [
        [MemberChangeKind.MEMBER_CHANGE_KIND_ROLE_CHANGED, NodeRole.NODE_ROLE_REPLICA, MemberHealth.MEMBER_HEALTH_UNSPECIFIED],
        [MemberChangeKind.MEMBER_CHANGE_KIND_HEALTH_CHANGED, NodeRole.NODE_ROLE_UNSPECIFIED, MemberHealth.MEMBER_HEALTH_PASSING],
      ],
    );
    assert.equal(changes[1].member?.health, MemberHealth.MEMBER_HEALTH_CRITICAL);
  });
});
