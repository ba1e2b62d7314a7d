import type { ChannelCredentials } from '@grpc/grpc-js';
import { MemberHealth, type NodeInfo, NodeRole } from '../../gen/shoal/v1/node';
import type { Member } from '../../gen/shoal/v1/discovery';
import type { ConsulApi } from '../../common/consul/ConsulApi';
import { clusterMembers, healthName } from '../../common/cluster/memberFromConsul';
import { roleFromProto } from '../../common/cluster/roles';
import { nodeInfo } from '../../common/client/nodeInfo';
import { unaryCall } from '../../common/client/grpcCall';
import { controlPlaneServiceName, readControlPlaneLeader } from '../../common/cluster/controlPlaneLeader';
import { connectToLeader } from '../../common/cluster/followControlPlaneLeader';
import { memberFromConsul } from '../../common/cluster/memberFromConsul';
import { type GetTopologyResponse, type NodePhase, nodePhaseToJSON, type TopologyNode } from '../../gen/shoal/v1/scale';

export interface NodeStatus {
  member: Member;
  /** From the node's own GetNodeInfo; undefined when it did not answer. */
  info?: NodeInfo;
  /** What the control-plane leader knows of it; undefined without one. */
  topology?: TopologyNode;
}

/** The control-plane instances registered in Consul, and which one holds the lock. */
export interface ControlPlaneStatus {
  leaderId: string | undefined;
  instances: { id: string; grpcAddress: string; health: string }[];
}

/**
 * The cluster's members as Consul sees them, each asked for its own view over gRPC, with the
 * control-plane leader's word on each (managed, restarts, phase) when a leader answers, and the
 * nodes it knows that Consul does not list.
 */
export async function clusterStatus(consul: ConsulApi, cluster: string, channel: ChannelCredentials): Promise<NodeStatus[]> {
  const [members, topology] = await Promise.all([clusterMembers(consul, cluster), leaderTopology(consul, cluster, channel)]);
  // Nodes the control plane knows that Consul does not list: declared but down, drained, or
  // not started yet. They belong in the table (and make the exit status 1).
  const absent: Member[] = (topology?.nodes ?? [])
    .filter((n) => !members.some((m) => m.id === n.id))
    .map((n) => ({
      id: n.id,
      role: n.declaredRole,
      grpcAddress: n.grpcAddress || '-',
      httpAddress: '',
      health: MemberHealth.MEMBER_HEALTH_UNSPECIFIED,
      version: '',
      consulNode: '',
      checks: [],
    }));
  const all = [...members, ...absent].sort((a, b) => roleOrder(a) - roleOrder(b) || a.id.localeCompare(b.id));
  return Promise.all(
    all.map(async (member) => ({
      member,
      info: member.grpcAddress === '-' ? undefined : await nodeInfo(member.grpcAddress, channel),
      topology: topology?.nodes.find((n) => n.id === member.id),
    })),
  );
}

export async function controlPlaneStatus(consul: ConsulApi, cluster: string): Promise<ControlPlaneStatus> {
  const [{ value }, leader] = await Promise.all([consul.healthService(controlPlaneServiceName(cluster)), readControlPlaneLeader(consul, cluster)]);
  const instances = value.map(memberFromConsul).map((m) => ({ id: m.id, grpcAddress: m.grpcAddress, health: healthName(m.health) }));
  return { leaderId: leader?.id, instances: instances.sort((a, b) => a.id.localeCompare(b.id)) };
}

/** "control plane: control-plane-1 leads (127.0.0.1:7070); standby: control-plane-2 (…)" */
export function formatControlPlane(cp: ControlPlaneStatus): string {
  if (cp.instances.length === 0 && !cp.leaderId) return 'Control plane: none registered in Consul (nodes run, but nothing restarts or fails them over)';
  const leader = cp.instances.find((i) => i.id === cp.leaderId);
  const standbys = cp.instances.filter((i) => i.id !== cp.leaderId).map((i) => `${i.id} (${i.grpcAddress}, ${i.health})`);
  const leads = cp.leaderId ? `${cp.leaderId} leads${leader ? ` (${leader.grpcAddress}, ${leader.health})` : ''}` : 'no leader holds the lock';
  return `Control plane: ${leads}; standby: ${standbys.join(', ') || 'none'}`;
}

async function leaderTopology(consul: ConsulApi, cluster: string, channel: ChannelCredentials): Promise<GetTopologyResponse | undefined> {
  const found = await connectToLeader(consul, cluster, channel).catch(() => undefined);
  if (!found) return undefined;
  const { client } = found;
  try {
    return await unaryCall<GetTopologyResponse>((m, o, cb) => client.getTopology({}, m, o, cb), Date.now() + 2000);
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}

function roleOrder(m: Member): number {
  return ['primary', 'replica', 'worker'].indexOf(roleFromProto(m.role) ?? '') + 1 || 9;
}

/**
 * A fixed-width table: id, role, gRPC and HTTP addresses, health, term, log position, lag
 * (entries a replica is behind the primary), uptime, whether the control plane manages the
 * node's process and how often it restarted it.
 */
export function formatStatusTable(rows: NodeStatus[], now = Date.now()): string {
  const header = ['ID', 'ROLE', 'GRPC', 'HTTP', 'HEALTH', 'TERM', 'POSITION', 'LAG', 'UPTIME', 'MANAGED', 'RESTARTS'];
  // The primary that answers, in the newest term: a dead one keeps its tag in Consul for a while.
  const primary = rows
    .filter((r) => r.info?.role === NodeRole.NODE_ROLE_PRIMARY)
    .map((r) => r.info!)
    .sort((a, b) => b.term - a.term)[0];
  const lines = rows.map(({ member: m, info, topology }) => {
    // The node's own word when it answers; else what Consul last heard.
    const role = info?.role ?? m.role;
    const holdsState = role === NodeRole.NODE_ROLE_PRIMARY || role === NodeRole.NODE_ROLE_REPLICA;
    const lag = role === NodeRole.NODE_ROLE_REPLICA && primary && info ? String(Math.max(0, primary.logPosition - info.logPosition)) : '-';
    return [
      m.id,
      roleFromProto(role) ?? 'unknown',
      m.grpcAddress,
      m.httpAddress || '-',
      m.health === MemberHealth.MEMBER_HEALTH_UNSPECIFIED && topology ? phaseName(topology.phase) : healthName(m.health),
      holdsState && info ? String(info.term) : '-',
      holdsState && info ? String(info.logPosition) : '-',
      lag,
      info ? formatDuration(now - info.startedAtUnixMs) : '-',
      topology ? (topology.managed ? 'yes' : 'no (by hand)') : '-',
      topology?.managed ? String(topology.restarts) : '-',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines]
    .map((cells) =>
      cells
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** "down", "drained", … for a node Consul does not list. */
function phaseName(phase: NodePhase): string {
  return nodePhaseToJSON(phase).replace('NODE_PHASE_', '').toLowerCase();
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
