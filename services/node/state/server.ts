import type { StateServer } from '../../../gen/shoal/v1/state';
import { rpcHandlers } from '../../../common/grpc/handlers';
import type { NodeContext } from '../NodeContext';
import { deleteKey } from './delete';
import { get } from './get';
import { list } from './list';
import { put } from './put';
import { watch } from './watch';

/** shoal.v1.State: one function per RPC, in the file named after it. */
export function stateServer(ctx: NodeContext): StateServer {
  const { unary, serverStream } = rpcHandlers({ logger: ctx.logger, stopping: ctx.lifecycle.drainSignal });
  return {
    put: unary('Put', (request, call) => put(ctx, request, call)),
    get: unary('Get', (request, call) => get(ctx, request, call)),
    delete: unary('Delete', (request, call) => deleteKey(ctx, request, call)),
    list: unary('List', (request) => list(ctx, request)),
    watch: serverStream('Watch', (request, call, cancelled) => watch(ctx, request, call, cancelled)),
  };
}
