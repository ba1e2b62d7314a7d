import { failover, switchover } from '../../common/cluster/changePrimary';
import { readLeader } from '../../common/cluster/leaderRecord';
import type { ClusterConfig } from '../../common/config/clusterConfig';
import type { ConsulApi } from '../../common/consul/ConsulApi';
import type { PrimaryChanges } from './PrimaryGuard';

/** Primary changes through Consul's leader record (common/cluster/changePrimary), with the config's minAcks. */
export function primaryChangesOverConsul(consul: ConsulApi, config: ClusterConfig): PrimaryChanges {
  const ctx = { consul, cluster: config.name, minAcks: config.sync.minAcks };
  return {
    currentPrimary: async () => (await readLeader(consul, config.name)).record?.primaryId,
    failover: (opts) => failover({ ...ctx, ...opts }),
    switchover: (to, timeoutMs) => switchover({ ...ctx, timeoutMs }, to),
  };
}
