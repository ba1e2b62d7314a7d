import type { StreamStatusResponse } from '../../gen/shoal/v1/health';
import type { ConflictResolution } from '../../gen/shoal/v1/sync';
import { type ClusterEvent, nodePhaseToJSON, type TopologyNode, type WatchClusterResponse } from '../../gen/shoal/v1/scale';
import { healthName } from '../../common/cluster/memberFromConsul';
import { roleFromProto } from '../../common/cluster/roles';
import { kindName } from '../events/EventJournal';

/*
 * What the browser receives: the contract's messages turned into plain JSON with names for
 * enums (roles, health, phases, kinds) and the units in the field names, so the page needs
 * no protobuf and reads like the Prometheus metrics.
 */

export interface SampleView {
  sampledAtMs: number;
  cpuPercent: number;
  rssBytes: number;
  rpcPerSecond: number;
  eventLoopP99Ms: number;
  term: number;
  logPosition: number;
  replicationLagEntries: number;
  antiEntropyAtMs: number;
  antiEntropyRepairedKeys: number;
  conflictsResolved: number;
}

export interface NodeView {
  id: string;
  /** The role the config declares ('' for a node it does not declare). */
  declaredRole: string;
  /** The role it plays now ('' when unknown). */
  role: string;
  health: string;
  phase: string;
  managed: boolean;
  restarts: number;
  pid: number;
  address: string;
  detail: string;
  sample: SampleView | undefined;
}

export interface EventView {
  /** Unique across control-plane instances and their restarts. */
  key: string;
  atMs: number;
  kind: string;
  decision: boolean;
  nodeId: string;
  reason: string;
  controlPlaneId: string;
  traceId: string;
  details: [string, string][];
}

export interface ControlPlaneView {
  id: string;
  address: string;
  health: string;
}

export interface BacklogView {
  pending: number;
  leased: number;
  dead: number;
  done: number;
  leasedByWorker: Record<string, number>;
  atMs: number;
  /** Events finished per second since the previous reading; undefined for the first. */
  eventsPerSecond: number | undefined;
}

export interface ClusterView {
  atMs: number;
  cluster: string;
  term: number;
  primaryId: string;
  /** Whom Consul's lock names. */
  leaderId: string;
  /** The control plane cannot reach Consul: it decides nothing until it can. */
  blind: boolean;
  controlPlanes: ControlPlaneView[];
  nodes: NodeView[];
  scaling: {
    enabled: boolean;
    minWorkers: number;
    maxWorkers: number;
    workers: number;
    desiredWorkers: number;
    policy: Record<string, number | boolean>;
    lastDecision: EventView | undefined;
  };
  backlog: BacklogView | undefined;
}

export interface ConflictView {
  nodeId: string;
  resolvedAtMs: number;
  key: string;
  reason: string;
  resolvedBy: string;
  winner: VersionView | undefined;
  loser: VersionView | undefined;
}

export interface VersionView {
  value: string;
  version: number;
  deleted: boolean;
  origin: string;
}

export function sampleView(s: StreamStatusResponse): SampleView {
  return {
    sampledAtMs: s.sampledAtUnixMs,
    cpuPercent: s.cpuPercent,
    rssBytes: s.rssBytes,
    rpcPerSecond: s.rpcRate,
    eventLoopP99Ms: s.eventLoopDelayP99Ms,
    term: s.term,
    logPosition: s.logPosition,
    replicationLagEntries: s.replicationLagEntries,
    antiEntropyAtMs: s.antiEntropyAtUnixMs,
    antiEntropyRepairedKeys: s.antiEntropyRepairedKeys,
    conflictsResolved: s.conflictsResolved,
  };
}

export function nodeView(n: TopologyNode): NodeView {
  return {
    id: n.id,
    declaredRole: roleFromProto(n.declaredRole) ?? '',
    role: roleFromProto(n.observedRole) ?? '',
    health: healthName(n.health),
    phase: nodePhaseToJSON(n.phase).replace('NODE_PHASE_', '').toLowerCase(),
    managed: n.managed,
    restarts: n.restarts,
    pid: n.pid,
    address: n.grpcAddress,
    detail: n.detail,
    sample: n.lastSample && n.streamConnected ? sampleView(n.lastSample) : undefined,
  };
}

export function eventView(e: ClusterEvent): EventView {
  return {
    key: `${e.controlPlaneId}/${e.sequence}/${e.atUnixMs}`,
    atMs: e.atUnixMs,
    kind: kindName(e.kind),
    decision: e.decision,
    nodeId: e.nodeId,
    reason: e.reason,
    controlPlaneId: e.controlPlaneId,
    traceId: e.traceId,
    details: e.details.map((d) => [d.key, d.value]),
  };
}

/** One WatchCluster message as the page sees it; `controlPlanes` and `backlog` come from the caller. */
export function clusterView(m: WatchClusterResponse, controlPlanes: ControlPlaneView[], backlog: BacklogView | undefined): ClusterView {
  const t = m.topology!;
  const s = m.scaling!;
  const policy = s.policy!;
  return {
    atMs: m.atUnixMs,
    cluster: t.cluster,
    term: t.term,
    primaryId: t.primaryId,
    leaderId: t.controlPlane?.leaderId ?? '',
    blind: t.controlPlane?.blind ?? false,
    controlPlanes,
    nodes: t.nodes.map(nodeView),
    scaling: {
      enabled: policy.enabled,
      minWorkers: policy.minWorkers,
      maxWorkers: policy.maxWorkers,
      workers: s.workers,
      desiredWorkers: s.desiredWorkers,
      policy: { ...policy },
      lastDecision: s.lastDecision ? eventView(s.lastDecision) : undefined,
    },
    backlog,
  };
}

/** Bytes of a conflicting value the page shows: enough to tell the versions apart. */
const MAX_VALUE_SHOWN = 200;

export function conflictView(nodeId: string, c: ConflictResolution): ConflictView {
  const version = (v: ConflictResolution['winner']): VersionView | undefined =>
    v && { value: Buffer.from(v.value).subarray(0, MAX_VALUE_SHOWN).toString('utf8'), version: v.version, deleted: v.deleted, origin: v.origin };
  return { nodeId, resolvedAtMs: c.resolvedAtUnixMs, key: c.key, reason: c.reason, resolvedBy: c.resolvedBy, winner: version(c.winner), loser: version(c.loser) };
}
