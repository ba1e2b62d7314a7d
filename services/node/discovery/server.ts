import type { DiscoveryServer } from '../../../gen/shoal/v1/discovery';
import { rpcHandlers } from '../../../common/grpc/handlers';
import type { NodeContext } from '../NodeContext';
import { getMember } from './getMember';
import { getNodeInfo } from './getNodeInfo';
import { listMembers } from './listMembers';
import { watchMembers } from './watchMembers';

/** What the Discovery RPCs need: who this node is, its replication (term and position), the membership, a logger and the drain signal. */
export type DiscoveryDeps = Pick<NodeContext, 'identity' | 'replication' | 'membership' | 'logger' | 'lifecycle'>;

/** shoal.v1.Discovery: one function per RPC, in the file named after it. */
export function discoveryServer(ctx: DiscoveryDeps): DiscoveryServer {
  const { unary, serverStream } = rpcHandlers({ logger: ctx.logger, stopping: ctx.lifecycle.drainSignal });
  return {
    getNodeInfo: unary('GetNodeInfo', () => getNodeInfo(ctx)),
    listMembers: unary('ListMembers', () => listMembers(ctx)),
    getMember: unary('GetMember', (request) => getMember(ctx, request)),
    watchMembers: serverStream('WatchMembers', (_request, call, cancelled) => watchMembers(ctx, call, cancelled)),
  };
}
