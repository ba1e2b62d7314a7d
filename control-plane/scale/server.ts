import type { ScaleServer } from '../../gen/shoal/v1/scale';
import { rpcHandlers } from '../../common/grpc/handlers';
import { drain } from './drain';
import { getTopology } from './getTopology';
import { getPolicy, scaleWorkers, setPolicy } from './policy';
import { restart } from './restart';
import type { ScaleContext } from './ScaleContext';
import { watchCluster } from './watchCluster';
import { watchEvents } from './watchEvents';

/** shoal.v1.Scale: one function per RPC, in the file named after it (the policy RPCs in policy.ts). */
export function scaleServer(ctx: ScaleContext): ScaleServer {
  const { unary, serverStream } = rpcHandlers({ logger: ctx.logger });
  return {
    getTopology: unary('GetTopology', () => getTopology(ctx)),
    watchEvents: serverStream('WatchEvents', (request, call, cancelled) => watchEvents(ctx, request, call, cancelled)),
    watchCluster: serverStream('WatchCluster', (request, call, cancelled) => watchCluster(ctx, request, call, cancelled)),
    drain: unary('Drain', (request, call) => drain(ctx, request, call)),
    restart: unary('Restart', (request, call) => restart(ctx, request, call)),
    getPolicy: unary('GetPolicy', () => getPolicy(ctx)),
    setPolicy: unary('SetPolicy', (request, call) => setPolicy(ctx, request, call)),
    scaleWorkers: unary('ScaleWorkers', (request, call) => scaleWorkers(ctx, request, call)),
  };
}
