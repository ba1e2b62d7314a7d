import type { StateServer } from '../../../gen/shoal/v1/state';
import { serverStream, unary } from '../../../common/grpc/handlers';
import type { NodeContext } from '../NodeContext';
import { deleteKey } from './delete';
import { get } from './get';
import { list } from './list';
import { put } from './put';
import { watch } from './watch';

/** shoal.v1.State: one function per RPC, in the file named after it. */
export function stateServer(ctx: NodeContext): StateServer {
  const log = ctx.logger;
  return {
    put: unary(log, 'Put', (request, call) => put(ctx, request, call)),
    get: unary(log, 'Get', (request, call) => get(ctx, request, call)),
    delete: unary(log, 'Delete', (request, call) => deleteKey(ctx, request, call)),
    list: unary(log, 'List', (request) => list(ctx, request)),
    watch: serverStream(log, 'Watch', (request, call, cancelled) => watch(ctx, request, call, cancelled)),
  };
}
