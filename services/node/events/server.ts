import type { Logger } from 'pino';
import type { EventsServer } from '../../../gen/shoal/v1/events';
import type { EventsConfig, SyncConfig } from '../../../common/config/clusterConfig';
import { rpcHandlers } from '../../../common/grpc/handlers';
import type { Lifecycle } from '../Lifecycle';
import { ack, ackBatch } from './ack';
import { listDeadLetters, redrive } from './deadLetters';
import type { EventQueue } from './EventQueue';
import { getBacklog } from './getBacklog';
import { lease } from './lease';
import { publish, publishBatch } from './publish';
import { releaseWorker } from './releaseWorker';

/** What the Events RPCs need: the queue, the default lease, the default wait for acks, a logger and the drain signal. */
export interface EventsDeps {
  queue: EventQueue;
  config: Pick<EventsConfig, 'leaseMs'>;
  sync: Pick<SyncConfig, 'ackTimeout'>;
  logger: Logger;
  lifecycle: Pick<Lifecycle, 'drainSignal'>;
}

/** shoal.v1.Events: one function per RPC (PublishBatch beside Publish, AckBatch beside Ack, Redrive beside ListDeadLetters). */
export function eventsServer(deps: EventsDeps): EventsServer {
  const { unary } = rpcHandlers({ logger: deps.logger, stopping: deps.lifecycle.drainSignal });
  return {
    publish: unary('Publish', (request, call, signal) => publish(deps, request, call, signal)),
    publishBatch: unary('PublishBatch', (request, call, signal) => publishBatch(deps, request, call, signal)),
    lease: unary('Lease', (request, _call, signal) => lease(deps, request, signal)),
    ack: unary('Ack', (request, call, signal) => ack(deps, request, call, signal)),
    ackBatch: unary('AckBatch', (request, call, signal) => ackBatch(deps, request, call, signal)),
    releaseWorker: unary('ReleaseWorker', (request) => releaseWorker(deps, request)),
    getBacklog: unary('GetBacklog', () => getBacklog(deps)),
    listDeadLetters: unary('ListDeadLetters', (request) => listDeadLetters(deps, request)),
    redrive: unary('Redrive', (request, call, signal) => redrive(deps, request, call, signal)),
  };
}
