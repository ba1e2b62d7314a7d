import type { Logger } from 'pino';
import type { StateServer } from '../../../gen/shoal/v1/state';
import type { SyncConfig } from '../../../common/config/clusterConfig';
import { rpcHandlers } from '../../../common/grpc/handlers';
import type { Lifecycle } from '../Lifecycle';
import type { Replication } from '../replication/Replication';
import { deleteKey } from './delete';
import { get } from './get';
import { list } from './list';
import { put } from './put';
import { watch } from './watch';
import type { WriteDeps, WriteReplication } from './write';

/** What the State RPCs read of the node's replication: the write path's, plus the store and its feed. */
export type StateReplication = WriteReplication &
  Pick<Replication, 'store' | 'feed' | 'assertLease' | 'leaseHeld' | 'reinstalling' | 'confirmPrimary' | 'term'>;

/** What the State RPCs need: the write path's dependencies, a logger, and the drain signal. */
export interface StateDeps extends WriteDeps<StateReplication> {
  sync: Pick<SyncConfig, 'minAcks' | 'ackTimeout' | 'primaryLease'>;
  logger: Logger;
  lifecycle: Pick<Lifecycle, 'drainSignal'>;
}

/** shoal.v1.State: one function per RPC, in the file named after it. */
export function stateServer(deps: StateDeps): StateServer {
  const { unary, serverStream } = rpcHandlers({ logger: deps.logger, stopping: deps.lifecycle.drainSignal });
  return {
    put: unary('Put', (request, call, signal) => put(deps, request, call, signal)),
    get: unary('Get', (request, call, signal) => get(deps, request, call, signal)),
    delete: unary('Delete', (request, call, signal) => deleteKey(deps, request, call, signal)),
    list: unary('List', (request, call, signal) => list(deps, request, call, signal)),
    watch: serverStream('Watch', (request, call, cancelled) => watch(deps, request, call, cancelled)),
  };
}
