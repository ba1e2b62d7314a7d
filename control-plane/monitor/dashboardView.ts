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
  /** One word for its state, from its phase and its health (see `nodeStatus`). */
  status: NodeStatus;
  /** Where the page draws it (see `nodePlace`). */
  place: NodePlace;
}

/** A node's state in one word, as the page colours and names it. */
export type NodeStatus = 'healthy' | 'starting' | 'down' | 'drained';

/** Where a node belongs in the picture: the primary, a replica or a worker. */
export type NodePlace = 'primary' | 'replica' | 'worker';

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

/**
 * One word for a node's state, from the control plane's phase and Consul's health (as named
 * in a NodeView): the control plane sees a crash first (the status stream breaks), Consul a
 * hung process, so either one saying so makes it down.
 */
export function nodeStatus(phase: string, health: string): NodeStatus {
  if (phase === 'drained') return 'drained';
  if (phase === 'down' || phase === 'suspected' || health === 'critical') return 'down';
  if (phase === 'starting' || phase === 'pending' || health === 'warning' || health === 'unknown') return 'starting';
  return 'healthy';
}

/** Where a node belongs in the picture: the role it plays, else the one declared; '' counts as a replica. */
export function nodePlace(id: string, role: string, declaredRole: string, primaryId: string): NodePlace {
  if (id === primaryId) return 'primary';
  return (role || declaredRole) === 'worker' ? 'worker' : 'replica';
}

/** A topology node as the page sees it; `primaryId` is the cluster's primary, for its place. */
export function nodeView(n: TopologyNode, primaryId: string): NodeView {
  const declaredRole = roleFromProto(n.declaredRole) ?? '';
  const role = roleFromProto(n.observedRole) ?? '';
  const health = healthName(n.health);
  const phase = nodePhaseToJSON(n.phase).replace('NODE_PHASE_', '').toLowerCase();
  return {
    id: n.id,
    declaredRole,
    role,
    health,
    phase,
    managed: n.managed,
    restarts: n.restarts,
    pid: n.pid,
    address: n.grpcAddress,
    detail: n.detail,
    sample: n.lastSample && n.streamConnected ? sampleView(n.lastSample) : undefined,
    status: nodeStatus(phase, health),
    place: nodePlace(n.id, role, declaredRole, primaryId),
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
    nodes: t.nodes.map((n) => nodeView(n, t.primaryId)),
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
  return {
    nodeId,
    resolvedAtMs: c.resolvedAtUnixMs,
    key: c.key,
    reason: c.reason,
    resolvedBy: c.resolvedBy,
    winner: version(c.winner),
    loser: version(c.loser),
  };
}
