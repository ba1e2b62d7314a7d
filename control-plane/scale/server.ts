import type { ScaleServer } from '../../gen/shoal/v1/scale';
import { rpcHandlers } from '../../common/grpc/handlers';
import { drain, type DrainDeps } from './drain';
import { forget, type ForgetDeps } from './forget';
import { getTopology } from './getTopology';
import { getPolicy, type PolicyChangeDeps, scaleWorkers, setPolicy } from './policy';
import { restart, type RestartDeps } from './restart';
import { watchCluster, type WatchClusterDeps } from './watchCluster';
import { watchEvents, type WatchEventsDeps } from './watchEvents';

/** What the Scale RPCs need together: each handler declares its part (the control plane's ScaleContext gives them all). */
export type ScaleServerDeps = DrainDeps & RestartDeps & ForgetDeps & PolicyChangeDeps & WatchClusterDeps & WatchEventsDeps;

/** shoal.v1.Scale: one function per RPC, in the file named after it (the policy RPCs in policy.ts). */
export function scaleServer(ctx: ScaleServerDeps): ScaleServer {
  const rpc = rpcHandlers({ logger: ctx.logger });
  return {
    getTopology: rpc.unary('GetTopology', () => getTopology(ctx)),
    watchEvents: rpc.serverStream('WatchEvents', (request, call, cancelled) => watchEvents(ctx, request, call, cancelled)),
    watchCluster: rpc.serverStream('WatchCluster', (request, call, cancelled) => watchCluster(ctx, request, call, cancelled)),
    drain: rpc.unary('Drain', (request, call) => drain(ctx, request, call)),
    restart: rpc.unary('Restart', (request, call) => restart(ctx, request, call)),
    getPolicy: rpc.unary('GetPolicy', () => getPolicy(ctx)),
    setPolicy: rpc.unary('SetPolicy', (request, call) => setPolicy(ctx, request, call)),
    scaleWorkers: rpc.unary('ScaleWorkers', (request, call) => scaleWorkers(ctx, request, call)),
    forget: rpc.unary('Forget', (request, call) => forget(ctx, request, call)),
  };
}
