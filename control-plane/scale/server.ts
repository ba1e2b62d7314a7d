import type { ScaleServer } from '../../gen/shoal/v1/scale';
import { serverStream, unary } from '../../common/grpc/handlers';
import { drain } from './drain';
import { getTopology } from './getTopology';
import { getPolicy, scaleWorkers, setPolicy } from './policy';
import { restart } from './restart';
import type { ScaleContext } from './ScaleContext';
import { watchCluster } from './watchCluster';
import { watchEvents } from './watchEvents';

/** shoal.v1.Scale: one function per RPC, in the file named after it (the policy RPCs in policy.ts). */
export function scaleServer(ctx: ScaleContext): ScaleServer {
  const log = ctx.logger;
  return {
    getTopology: unary(log, 'GetTopology', () => getTopology(ctx)),
    watchEvents: serverStream(log, 'WatchEvents', (request, call, cancelled) => watchEvents(ctx, request, call, cancelled)),
    watchCluster: serverStream(log, 'WatchCluster', (request, call, cancelled) => watchCluster(ctx, request, call, cancelled)),
    drain: unary(log, 'Drain', (request, call) => drain(ctx, request, call)),
    restart: unary(log, 'Restart', (request, call) => restart(ctx, request, call)),
    getPolicy: unary(log, 'GetPolicy', () => getPolicy(ctx)),
    setPolicy: unary(log, 'SetPolicy', (request, call) => setPolicy(ctx, request, call)),
    scaleWorkers: unary(log, 'ScaleWorkers', (request, call) => scaleWorkers(ctx, request, call)),
  };
}
