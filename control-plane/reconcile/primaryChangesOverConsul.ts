import type { ChannelCredentials } from '@grpc/grpc-js';
import { failover, switchover } from '../../common/cluster/changePrimary';
import { readLeader } from '../../common/cluster/leaderRecord';
import type { ClusterConfig } from '../../common/config/clusterConfig';
import type { ConsulApi } from '../../common/consul/ConsulApi';
import { declaredNodes } from './declaredNodes';
import type { PrimaryChanges } from './PrimaryGuard';

/**
 * Primary changes through Consul's leader record (common/cluster/changePrimary), with the
 * config's minAcks and declared state nodes: the same quorum the CLI counts from the topology
 * this control plane publishes.
 */
export function primaryChangesOverConsul(consul: ConsulApi, config: ClusterConfig, credentials: ChannelCredentials): PrimaryChanges {
  const stateNodeIds = declaredNodes(config)
    .filter((d) => d.role !== 'worker')
    .map((d) => d.id);
  const ctx = { consul, cluster: config.name, credentials, minAcks: config.sync.minAcks, stateNodeIds };
  return {
    currentPrimary: async () => (await readLeader(consul, config.name)).record?.primaryId,
    failover: (opts) => failover({ ...ctx, ...opts }),
    switchover: (to, timeoutMs) => switchover({ ...ctx, timeoutMs }, to),
  };
}
