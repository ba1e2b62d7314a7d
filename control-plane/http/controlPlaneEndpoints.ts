import { createServer, type Server, type ServerResponse } from 'node:http';
import type { ScaleContext } from '../scale/ScaleContext';
import type { ControlPlaneMetrics } from './controlPlaneMetrics';

/**
 * /health/live (the process answers), /health/ready (it sees Consul; leader or standby, both
 * are ready: a standby's job is to watch) and /metrics.
 */
export function createControlPlaneEndpoints(ctx: () => ScaleContext | undefined, metrics: ControlPlaneMetrics): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'only GET and HEAD' });
    const c = ctx();
    switch (path) {
      case '/health/live':
        return send(res, 200, { live: true, id: c?.id });
      case '/health/ready': {
        const ready = c !== undefined && !c.observer.blind;
        return send(res, ready ? 200 : 503, { ready, id: c?.id, leader: c?.isLeader() ?? false, blind: c?.observer.blind ?? true });
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
