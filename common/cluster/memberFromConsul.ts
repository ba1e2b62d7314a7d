import type { Member } from '../../gen/shoal/v1/discovery';
import { MemberHealth, memberHealthToJSON } from '../../gen/shoal/v1/node';
import { NodeRole } from '../../gen/shoal/v1/node';
import { type ConsulApi, type ConsulServiceEntry, serviceNameOf } from '../consul/ConsulApi';
import { roleFromTags, roleToProto } from './roles';

const HEALTH: Record<string, MemberHealth> = {
  passing: MemberHealth.MEMBER_HEALTH_PASSING,
  warning: MemberHealth.MEMBER_HEALTH_WARNING,
  critical: MemberHealth.MEMBER_HEALTH_CRITICAL,
};

/**
 * A cluster member from a Consul health entry. Its health is the worst of its checks, the
 * agent's serfHealth included: a node whose Consul agent is gone is not healthy either.
 */
export function memberFromConsul(entry: ConsulServiceEntry): Member {
  const s = entry.Service;
  const meta = s.Meta ?? {};
  const host = s.Address || entry.Node.Address;
  const role = roleFromTags(s.Tags);
  const checks = entry.Checks.map((c) => ({ name: c.Name, status: HEALTH[c.Status] ?? MemberHealth.MEMBER_HEALTH_CRITICAL, output: c.Output.trim() }));
  const health = checks.reduce((worst, c) => Math.max(worst, c.status), MemberHealth.MEMBER_HEALTH_PASSING) as MemberHealth;
  return {
    id: s.ID,
    role: role ? roleToProto(role) : NodeRole.NODE_ROLE_UNSPECIFIED,
    grpcAddress: `${host}:${s.Port}`,
    httpAddress: meta.http_port ? `${host}:${meta.http_port}` : '',
    health,
    version: meta.version ?? '',
    consulNode: entry.Node.Node,
    checks,
  };
}

/** The cluster's members as Consul lists them (every instance of shoal-<cluster>, any health). */
export async function clusterMembers(consul: ConsulApi, cluster: string): Promise<Member[]> {
  const { value } = await consul.healthService(serviceNameOf(cluster));
  return value.map(memberFromConsul);
}

/** A short lower-case name of a health value, for tables and logs: passing, warning, critical. */
export function healthName(health: MemberHealth): string {
  return health === MemberHealth.MEMBER_HEALTH_UNSPECIFIED ? 'unknown' : memberHealthToJSON(health).replace('MEMBER_HEALTH_', '').toLowerCase();
}
