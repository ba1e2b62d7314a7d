import type { GetTopologyResponse, TopologyNode } from '../../gen/shoal/v1/scale';
import type { ControlPlaneLeader } from '../../common/cluster/controlPlaneLeader';
import type { LeaderRecord } from '../../common/cluster/leaderRecord';

/** What GetTopology reads. */
export interface TopologyDeps {
  id: string;
  cluster: string;
  isLeader(): boolean;
  leader(): ControlPlaneLeader | undefined;
  observer: { readonly blind: boolean; readonly leader: LeaderRecord | undefined };
  reconciler: { topology(): TopologyNode[] };
}

/** Declared vs observed, per node; and who leads, as this instance sees it. */
export function getTopology(ctx: TopologyDeps): GetTopologyResponse {
  const leader = ctx.observer.leader;
  return {
    cluster: ctx.cluster,
    controlPlane: { id: ctx.id, leader: ctx.isLeader(), leaderId: ctx.leader()?.id ?? '', blind: ctx.observer.blind },
    term: leader?.term ?? 0,
    primaryId: leader?.primaryId ?? '',
    nodes: ctx.reconciler.topology().sort((a, b) => a.id.localeCompare(b.id)),
  };
}
