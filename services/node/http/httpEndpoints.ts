import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { NodeContext } from '../NodeContext';
import type { NodeMetrics } from './nodeMetrics';

/**
 * The node's small HTTP listener: /health/live and /health/ready (the seed's endpoints, for
 * load balancers and Kubernetes httpGet probes) and /metrics for Prometheus.
 */
export function createHttpEndpoints(ctx: () => NodeContext, metrics: NodeMetrics): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'only GET and HEAD' });
    switch (path) {
      case '/health/live':
        return send(res, 200, { live: true, node_id: ctx().identity.id });
      case '/health/ready': {
        const lc = ctx().lifecycle;
        return send(res, lc.ready ? 200 : 503, { ready: lc.ready, reasons: lc.reasons, node_id: ctx().identity.id, role: ctx().identity.role });
      }
      case '/metrics':
        metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(text);
          },
          (err: Error) => send(res, 500, { error: err.message }),
        );
        return;
      default:
        return send(res, 404, { error: `no such endpoint: ${path}`, endpoints: ['/health/live', '/health/ready', '/metrics'] });
    }
  });
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}
