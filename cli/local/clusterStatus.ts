import { type NodeInfo, NodeRole } from '../../gen/shoal/v1/node';
import type { Member } from '../../gen/shoal/v1/discovery';
import type { ConsulApi } from '../../common/consul/ConsulApi';
import { clusterMembers, healthName } from '../../common/cluster/memberFromConsul';
import { roleFromProto } from '../../common/cluster/roles';
import { nodeInfo } from '../../common/client/nodeInfo';

export interface NodeStatus {
  member: Member;
  /** From the node's own GetNodeInfo; undefined when it did not answer. */
  info?: NodeInfo;
}

/** The cluster's members as Consul sees them, each asked for its start time over gRPC. */
export async function clusterStatus(consul: ConsulApi, cluster: string): Promise<NodeStatus[]> {
  const members = (await clusterMembers(consul, cluster)).sort((a, b) => roleOrder(a) - roleOrder(b) || a.id.localeCompare(b.id));
  return Promise.all(members.map(async (member) => ({ member, info: await nodeInfo(member.grpcAddress) })));
}

function roleOrder(m: Member): number {
  return ['primary', 'replica', 'worker'].indexOf(roleFromProto(m.role) ?? '') + 1 || 9;
}

/**
 * A fixed-width table: id, role, gRPC and HTTP addresses, health, term, log position, lag
 * (entries a replica is behind the primary), uptime.
 */
export function formatStatusTable(rows: NodeStatus[], now = Date.now()): string {
  const header = ['ID', 'ROLE', 'GRPC', 'HTTP', 'HEALTH', 'TERM', 'POSITION', 'LAG', 'UPTIME'];
  // The primary that answers, in the newest term: a dead one keeps its tag in Consul for a while.
  const primary = rows
    .filter((r) => r.info?.role === NodeRole.NODE_ROLE_PRIMARY)
    .map((r) => r.info!)
    .sort((a, b) => b.term - a.term)[0];
  const lines = rows.map(({ member: m, info }) => {
    // The node's own word when it answers; else what Consul last heard.
    const role = info?.role ?? m.role;
    const holdsState = role === NodeRole.NODE_ROLE_PRIMARY || role === NodeRole.NODE_ROLE_REPLICA;
    const lag = role === NodeRole.NODE_ROLE_REPLICA && primary && info ? String(Math.max(0, primary.logPosition - info.logPosition)) : '-';
    return [
      m.id,
      roleFromProto(role) ?? 'unknown',
      m.grpcAddress,
      m.httpAddress || '-',
      healthName(m.health),
      holdsState && info ? String(info.term) : '-',
      holdsState && info ? String(info.logPosition) : '-',
      lag,
      info ? formatDuration(now - info.startedAtUnixMs) : '-',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines].map((cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
