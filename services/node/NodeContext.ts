import type { Logger } from 'pino';
import type { CallTracker } from '../../common/grpc/CallTracker';
import type { Lifecycle } from './Lifecycle';
import type { NodeIdentity } from './NodeIdentity';
import type { MembershipView } from './membership/MembershipView';

/** What the node's RPC handlers may read: one object, handed to each service's constructor. */
export interface NodeContext {
  identity: NodeIdentity;
  lifecycle: Lifecycle;
  membership: MembershipView;
  calls: CallTracker;
  logger: Logger;
  /** Default StreamStatus period, ms (health.samplePeriod). */
  samplePeriodMs: number;
}
