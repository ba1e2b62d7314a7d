import type { GetTopologyResponse } from '../../gen/shoal/v1/scale';
import type { ScaleContext } from './ScaleContext';

/** Declared vs observed, per node; and who leads, as this instance sees it. */
export function getTopology(ctx: ScaleContext): GetTopologyResponse {
  const leader = ctx.observer.leader;
  return {
    cluster: ctx.cluster,
    controlPlane: { id: ctx.id, leader: ctx.isLeader(), leaderId: ctx.leader()?.id ?? '', blind: ctx.observer.blind },
    term: leader?.term ?? 0,
    primaryId: leader?.primaryId ?? '',
    nodes: ctx.reconciler.topology().sort((a, b) => a.id.localeCompare(b.id)),
  };
}
