import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { ProbeEndpoint } from './probeEndpoints';

export interface Probes {
  /** Body of /health/live (200). */
  live(): Record<string, unknown>;
  /** Whether ready (200, else 503) and the body of /health/ready. */
  ready(): { ready: boolean } & Record<string, unknown>;
  /** What /metrics serves. */
  registry: Registry;
}

/**
 * The small HTTP listener every shoal process has: /health/live and /health/ready (for load
 * balancers and Kubernetes httpGet probes) and /metrics for Prometheus. GET and HEAD only.
 */
export function createProbeServer(probes: Probes): Server {
  // Typed by the one list of endpoints, so each is served; a 404 lists them.
  const endpoints: Record<ProbeEndpoint, (res: ServerResponse) => void> = {
    '/health/live': (res) => send(res, 200, { live: true, ...probes.live() }),
    '/health/ready': (res) => {
      const body = probes.ready();
      send(res, body.ready ? 200 : 503, body);
    },
    '/metrics': (res) => {
      probes.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': probes.registry.contentType });
          res.end(text);
        },
        (err: Error) => send(res, 500, { error: err.message }),
      );
    },
  };
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'only GET and HEAD' });
    const endpoint = Object.hasOwn(endpoints, path) ? endpoints[path as ProbeEndpoint] : undefined;
    if (!endpoint) return send(res, 404, { error: `no such endpoint: ${path}`, endpoints: Object.keys(endpoints) });
    endpoint(res);
  });
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}
