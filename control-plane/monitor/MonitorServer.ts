import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { ClusterFeed, FeedMessage } from './ClusterFeed';

/** A comment line on idle event streams, so proxies and browsers keep them open. */
const KEEPALIVE_MS = 15_000;

interface Asset {
  body: Buffer;
  type: string;
}

/** The page and everything it loads: served from here, so it makes no request elsewhere. */
function loadAssets(): Map<string, Asset> {
  const page = join(__dirname, 'dashboard');
  const uplot = join(dirname(require.resolve('uplot/package.json')), 'dist');
  const files: [string, string, string][] = [
    ['/', join(page, 'index.html'), 'text/html; charset=utf-8'],
    ['/assets/dashboard.js', join(page, 'dashboard.js'), 'text/javascript; charset=utf-8'],
    ['/assets/dashboard.css', join(page, 'dashboard.css'), 'text/css; charset=utf-8'],
    ['/assets/uPlot.iife.min.js', join(uplot, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['/assets/uPlot.min.css', join(uplot, 'uPlot.min.css'), 'text/css; charset=utf-8'],
  ];
  return new Map(files.map(([path, file, type]) => [path, { body: readFileSync(file), type }]));
}

/**
 * The dashboard's HTTP side: the page and its assets, /api/snapshot (everything as JSON),
 * /api/stream (server-sent events: a snapshot, then each change) and the usual
 * /health/live and /health/ready (ready while it follows a control-plane leader).
 */
export function createMonitorServer(feed: ClusterFeed, logger: Logger): Server {
  const assets = loadAssets();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'only GET and HEAD' });
    const asset = assets.get(path === '/index.html' ? '/' : path);
    if (asset) {
      res.writeHead(200, {
        'content-type': asset.type,
        'cache-control': 'no-cache',
        // The page may load and call nothing but this origin.
        'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
        'x-content-type-options': 'nosniff',
      });
      return res.end(req.method === 'HEAD' ? undefined : asset.body);
    }
    switch (path) {
      case '/api/snapshot':
        return json(res, 200, feed.snapshot());
      case '/api/stream':
        return stream(feed, req, res, logger);
      case '/health/live':
        return json(res, 200, { live: true });
      case '/health/ready':
        return json(res, feed.connected ? 200 : 503, { ready: feed.connected, ...feed.snapshot().connection });
      default:
        return json(res, 404, { error: `no such page: ${path}`, pages: ['/', '/api/snapshot', '/api/stream', '/health/live', '/health/ready'] });
    }
  });
  return server;
}

/** Server-sent events: `snapshot` first, then one event per feed message, named by its type. */
function stream(feed: ClusterFeed, req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('snapshot', feed.snapshot());
  const unsubscribe = feed.subscribe((m: FeedMessage) => {
    const { type, ...data } = m;
    send(type, data);
  });
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  const close = () => {
    clearInterval(keepalive);
    unsubscribe();
  };
  req.on('close', close);
  res.on('error', (err) => {
    logger.debug({ err: err.message }, 'event stream to a page failed');
    close();
  });
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}
