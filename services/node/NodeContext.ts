import type { Logger } from 'pino';
import type { CallTracker } from '../../common/grpc/CallTracker';
import type { Lifecycle } from './Lifecycle';
import type { NodeIdentity } from './NodeIdentity';
import type { MembershipView } from './membership/MembershipView';
import type { Replication } from './replication/Replication';
import type { ConsulApi } from '../../common/consul/ConsulApi';
import type { SyncConfig } from '../../common/config/clusterConfig';

/**
 * What a started node holds, assembled once in Node.start(). No service takes all of it: each
 * declares the few things it reads (StateDeps, SyncDeps, EventsDeps, EventQueueDeps,
 * DiscoveryDeps, HealthDeps) and this object, or a part of it, is passed as that.
 */
export interface NodeContext {
  identity: NodeIdentity;
  lifecycle: Lifecycle;
  membership: MembershipView;
  calls: CallTracker;
  logger: Logger;
  /** Default StreamStatus period, ms (health.samplePeriod). */
  samplePeriodMs: number;
  /** The replicated state (primary and replicas); undefined on workers, which hold none. */
  replication: Replication | undefined;
  consul: ConsulApi;
  /** Limits and timeouts of the state store. */
  sync: SyncConfig;
}
