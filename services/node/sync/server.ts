import type { Logger } from 'pino';
import type { SyncServer } from '../../../gen/shoal/v1/sync';
import type { ConsulApi } from '../../../common/consul/ConsulApi';
import type { SyncConfig } from '../../../common/config/clusterConfig';
import { rpcHandlers } from '../../../common/grpc/handlers';
import type { Lifecycle } from '../Lifecycle';
import type { NodeIdentity } from '../NodeIdentity';
import type { Replication } from '../replication/Replication';
import { fence } from './fence';
import { follow } from './follow';
import { getBucket, getDigest } from './getDigest';
import { getPosition } from './getPosition';
import { listConflicts } from './listConflicts';
import type { RedirectDeps } from './primaryRedirect';
import { promote } from './promote';
import { reconcile } from './reconcile';
import { replicate } from './replicate';

/**
 * What the Sync RPCs need: the node's replication and who it is, the members (for redirects),
 * Consul (Promote reads the leader record), the sync settings, a logger and the drain signal.
 */
export interface SyncDeps extends RedirectDeps<Replication> {
  identity: Pick<NodeIdentity, 'id' | 'cluster' | 'incarnation'>;
  consul: ConsulApi;
  sync: Pick<SyncConfig, 'ackTimeout' | 'heartbeatInterval'>;
  logger: Logger;
  lifecycle: Pick<Lifecycle, 'drainSignal'>;
}

/**
 * shoal.v1.Sync: one function per RPC, in the file named after it (GetBucket beside GetDigest).
 * `reconciled` hears the keys a Reconcile wrote (the events queue takes in event records).
 */
export function syncServer(deps: SyncDeps, reconciled: (keys: string[]) => void): SyncServer {
  const { unary } = rpcHandlers({ logger: deps.logger, stopping: deps.lifecycle.drainSignal });
  return {
    replicate: (call) => replicate(deps, call),
    getPosition: unary('GetPosition', (request) => getPosition(deps, request)),
    fence: unary('Fence', (request) => fence(deps, request)),
    promote: unary('Promote', (request) => promote(deps, request)),
    follow: unary('Follow', (request) => follow(deps, request)),
    reconcile: unary('Reconcile', (request) => reconcile(deps, request, reconciled)),
    getDigest: unary('GetDigest', (request) => getDigest(deps, request)),
    getBucket: unary('GetBucket', (request) => getBucket(deps, request)),
    listConflicts: unary('ListConflicts', (request) => listConflicts(deps, request)),
  };
}
