import type { EventsServer } from '../../../gen/shoal/v1/events';
import { rpcHandlers } from '../../../common/grpc/handlers';
import { ack, ackBatch } from './ack';
import { listDeadLetters, redrive } from './deadLetters';
import type { EventsContext } from './EventsContext';
import { getBacklog } from './getBacklog';
import { lease } from './lease';
import { publish, publishBatch } from './publish';
import { releaseWorker } from './releaseWorker';

/** shoal.v1.Events: one function per RPC (PublishBatch beside Publish, AckBatch beside Ack, Redrive beside ListDeadLetters). */
export function eventsServer(ctx: EventsContext): EventsServer {
  const { unary } = rpcHandlers({ logger: ctx.node.logger, stopping: ctx.node.lifecycle.drainSignal });
  return {
    publish: unary('Publish', (request, call) => publish(ctx, request, call)),
    publishBatch: unary('PublishBatch', (request, call) => publishBatch(ctx, request, call)),
    lease: unary('Lease', (request, call) => lease(ctx, request, call)),
    ack: unary('Ack', (request, call) => ack(ctx, request, call)),
    ackBatch: unary('AckBatch', (request, call) => ackBatch(ctx, request, call)),
    releaseWorker: unary('ReleaseWorker', (request) => releaseWorker(ctx, request)),
    getBacklog: unary('GetBacklog', () => getBacklog(ctx)),
    listDeadLetters: unary('ListDeadLetters', (request) => listDeadLetters(ctx, request)),
    redrive: unary('Redrive', (request, call) => redrive(ctx, request, call)),
  };
}
