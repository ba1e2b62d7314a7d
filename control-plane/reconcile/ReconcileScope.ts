import type { Logger } from 'pino';
import type { Member } from '../../gen/shoal/v1/discovery';
import type { ClusterEvent, ClusterEventKind } from '../../gen/shoal/v1/scale';
import type { LeaderRecord } from '../../common/cluster/leaderRecord';
import type { ClusterConfig } from '../../common/config/clusterConfig';
import type { Details } from '../events/EventJournal';
import type { StreamState } from '../observe/NodeStream';
import type { Placement, StopHow } from '../placement/Placement';
import type { NodeTracks } from './NodeTracks';

/** The cluster as the reconcile loop reads it (the ClusterObserver, in the control plane). */
export interface ObservedCluster {
  /** True while Consul cannot be reached, or has not been read afresh since. */
  readonly blind: boolean;
  readonly members: ReadonlyMap<string, Member>;
  readonly leader: LeaderRecord | undefined;
  stream(id: string): { readonly state: StreamState } | undefined;
  /** Follows the status stream of a node just started, before Consul lists it. */
  watchNode(id: string, address: string): void;
}

/** Where the reconcile loop records what it sees and decides (the EventJournal). */
export interface DecisionJournal {
  observe(kind: ClusterEventKind, nodeId: string, reason: string, details?: Details): void;
  /** Runs `act` as the decision; recorded only when it succeeds, its error rethrown. */
  decide(kind: ClusterEventKind, nodeId: string, reason: string, act: () => Promise<Details | void>): Promise<ClusterEvent>;
}

/** What the pieces of the reconcile loop share; the Reconciler makes one. */
export interface ReconcileScope {
  config: ClusterConfig;
  observer: ObservedCluster;
  placement: Placement;
  journal: DecisionJournal;
  tracks: NodeTracks;
  logger: Logger;
  /** Leading, seeing Consul and not stopped: checked before each step, so a lost lock stops at once. */
  mayAct(): boolean;
  /** Runs a pass soon. */
  wake(): void;
}

/** A node asked to drain gets its drain timeout and 5 s more before it is killed. */
export function drainGrace(config: ClusterConfig): StopHow {
  return { graceMs: config.health.drainTimeout + 5000 };
}
