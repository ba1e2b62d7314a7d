import type { GetNodeInfoResponse } from '../../../gen/shoal/v1/discovery';
import { roleToProto } from '../../../common/cluster/roles';
import type { DiscoveryDeps } from './server';

export function getNodeInfo(ctx: Pick<DiscoveryDeps, 'identity' | 'replication'>): GetNodeInfoResponse {
  const id = ctx.identity;
  return {
    node: {
      id: id.id,
      role: roleToProto(id.role),
      grpcAddress: id.grpcAddress,
      httpAddress: id.httpAddress,
      cluster: id.cluster,
      term: ctx.replication?.term ?? 0,
      version: id.version,
      startedAtUnixMs: id.startedAtMs,
      logPosition: ctx.replication?.store.lastPosition ?? 0,
      incarnation: id.incarnation,
      storeId: ctx.replication?.store.storeId ?? '',
    },
  };
}
