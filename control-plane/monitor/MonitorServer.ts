import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { ClusterFeed, FeedMessage } from './ClusterFeed';

/** A comment line on idle event streams, so proxies and browsers keep them open. */
const KEEPALIVE_MS = 15_000;
/** A page this far behind is cut off; its browser reconnects and starts from a snapshot. */
const MAX_UNSENT_BYTES = 4 * 2 ** 20;

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
export function createMonitorServer(feed: ClusterFeed, logger: Logger, listenHost: string): Server {
  const assets = loadAssets();
  const hostAllowed = hostCheck(listenHost);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'only GET and HEAD' });
    if (!hostAllowed(req.headers.host)) return json(res, 421, { error: `this dashboard answers to ${listenHost} and localhost, not to "${req.headers.host}"` });
    const asset = assets.get(path === '/index.html' ? '/' : path);
    if (asset) {
      res.writeHead(200, {
        'content-type': asset.type,
        'cache-control': 'no-cache',
        // The page may load and call nothing but this origin.
        'content-security-policy': "default-src 'self'; img-src 'self' data:",
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
        // The pid tells `shoal up` that the monitor it started answers, not another one.
        return json(res, 200, { live: true, pid: process.pid });
      case '/health/ready':
        // Ready while following a leader; a probe needs only that, not the whole snapshot.
        return json(res, feed.status.connected ? 200 : 503, { ready: feed.status.connected, ...feed.status });
      default:
        return json(res, 404, { error: `no such page: ${path}`, pages: ['/', '/api/snapshot', '/api/stream', '/health/live', '/health/ready'] });
    }
  });
  return server;
}

/** Server-sent events: `snapshot` first, then one event per feed message, named by its type. */
function stream(feed: ClusterFeed, req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (event: string, data: unknown) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (res.writableLength > MAX_UNSENT_BYTES) res.destroy();
  };
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

/**
 * Which Host headers to answer: the listen address and localhost, unless it listens on every
 * address. So a web page elsewhere cannot read the dashboard through a name it rebinds to
 * 127.0.0.1 (DNS rebinding).
 */
function hostCheck(listenHost: string): (host: string | undefined) => boolean {
  if (listenHost === '0.0.0.0' || listenHost === '::') return () => true;
  const names = new Set(['localhost', '127.0.0.1', '[::1]', listenHost.includes(':') ? `[${listenHost}]` : listenHost]);
  return (host) => host !== undefined && names.has(host.replace(/:\d+$/, ''));
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}
