import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, extname, join } from 'node:path';
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

/**
 * Every file the monitor serves, each as /assets/<file> (index.html as /): the page's own, in
 * dashboard/ (its modules import each other by relative path, so they share a folder), and
 * uPlot's. Nothing else is read from disk: a request names a key of this table or nothing.
 */
const ASSETS: [from: 'page' | 'uplot', file: string][] = [
  ['page', 'index.html'],
  ['page', 'dashboard.css'],
  ...['main.js', 'stream.js', 'header.js', 'topology.js', 'nodeTable.js', 'sync.js', 'scaling.js', 'charts.js', 'eventLog.js', 'dom.js', 'format.js'].map(
    (file): ['page', string] => ['page', file],
  ),
  ['uplot', 'uPlot.iife.min.js'],
  ['uplot', 'uPlot.min.css'],
];

/** Content types by file extension; a module script is refused by the browser without text/javascript. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The page and everything it loads, read once: served from here, so it makes no request elsewhere. */
function loadAssets(): Map<string, Asset> {
  const dirs = { page: join(__dirname, 'dashboard'), uplot: join(dirname(require.resolve('uplot/package.json')), 'dist') };
  return new Map(
    ASSETS.map(([from, file]) => [file === 'index.html' ? '/' : `/assets/${file}`, { body: readFileSync(join(dirs[from], file)), type: TYPES[extname(file)] }]),
  );
}

/** What the server needs of the feed. */
export type MonitorFeed = Pick<ClusterFeed, 'snapshot' | 'subscribe' | 'status'>;

/**
 * The dashboard's HTTP side: the page and its assets, /api/snapshot (everything as JSON),
 * /api/stream (server-sent events: a snapshot, then each change) and the usual
 * /health/live and /health/ready (ready while it follows a control-plane leader).
 */
export function createMonitorServer(feed: MonitorFeed, logger: Logger, listenHost: string): Server {
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
function stream(feed: MonitorFeed, req: IncomingMessage, res: ServerResponse, logger: Logger): void {
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
