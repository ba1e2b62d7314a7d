import type { DiscoveryServer } from '../../../gen/shoal/v1/discovery';
import { serverStream, unary } from '../../../common/grpc/handlers';
import type { NodeContext } from '../NodeContext';
import { getMember } from './getMember';
import { getNodeInfo } from './getNodeInfo';
import { listMembers } from './listMembers';
import { watchMembers } from './watchMembers';

/** shoal.v1.Discovery: one function per RPC, in the file named after it. */
export function discoveryServer(ctx: NodeContext): DiscoveryServer {
  const log = ctx.logger;
  return {
    getNodeInfo: unary(log, 'GetNodeInfo', () => getNodeInfo(ctx)),
    listMembers: unary(log, 'ListMembers', () => listMembers(ctx)),
    getMember: unary(log, 'GetMember', (request) => getMember(ctx, request)),
    watchMembers: serverStream(log, 'WatchMembers', (_request, call, cancelled) => watchMembers(ctx, call, cancelled)),
  };
}
