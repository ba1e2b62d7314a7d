import type { Server } from 'node:http';
import { createProbeServer } from '../../../common/http/createProbeServer';
import type { NodeContext } from '../NodeContext';
import type { NodeMetrics } from './nodeMetrics';

/** The node's HTTP listener: /health/live, /health/ready (the seed's endpoints) and /metrics. */
export function createHttpEndpoints(ctx: () => NodeContext, metrics: NodeMetrics): Server {
  return createProbeServer({
    live: () => ({ node_id: ctx().identity.id }),
    ready: () => {
      const lc = ctx().lifecycle;
      return { ready: lc.ready, reasons: lc.reasons, node_id: ctx().identity.id, role: ctx().identity.role };
    },
    registry: metrics.registry,
  });
}
