import type { EventsServer } from '../../../gen/shoal/v1/events';
import { unary } from '../../../common/grpc/handlers';
import { ack, ackBatch } from './ack';
import { listDeadLetters, redrive } from './deadLetters';
import type { EventsContext } from './EventsContext';
import { getBacklog } from './getBacklog';
import { lease } from './lease';
import { publish, publishBatch } from './publish';
import { releaseWorker } from './releaseWorker';

/** shoal.v1.Events: one function per RPC (PublishBatch beside Publish, AckBatch beside Ack, Redrive beside ListDeadLetters). */
export function eventsServer(ctx: EventsContext): EventsServer {
  const log = ctx.node.logger;
  return {
    publish: unary(log, 'Publish', (request, call) => publish(ctx, request, call)),
    publishBatch: unary(log, 'PublishBatch', (request, call) => publishBatch(ctx, request, call)),
    lease: unary(log, 'Lease', (request, call) => lease(ctx, request, call)),
    ack: unary(log, 'Ack', (request, call) => ack(ctx, request, call)),
    ackBatch: unary(log, 'AckBatch', (request, call) => ackBatch(ctx, request, call)),
    releaseWorker: unary(log, 'ReleaseWorker', (request) => releaseWorker(ctx, request)),
    getBacklog: unary(log, 'GetBacklog', () => getBacklog(ctx)),
    listDeadLetters: unary(log, 'ListDeadLetters', (request) => listDeadLetters(ctx, request)),
    redrive: unary(log, 'Redrive', (request, call) => redrive(ctx, request, call)),
  };
}
