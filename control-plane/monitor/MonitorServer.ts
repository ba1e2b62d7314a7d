import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { dirname, extname, join } from 'node:path';
import type { Logger } from 'pino';
import { isLoopback } from '../../common/net/plaintextBinding';
import type { TransportSecurity } from '../../common/tls/TransportSecurity';
import type { ClusterFeed, FeedMessage } from './ClusterFeed';
import type { DashboardLogin } from './DashboardLogin';

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

export interface MonitorServerOptions {
  /** The login the page and the API require; none when undefined (loopback, no token configured). */
  login?: DashboardLogin;
  /**
   * HTTPS with this certificate (the `control-plane` one), each renewed set taken for the
   * connections after it; plain HTTP when undefined. Browsers are asked for no certificate.
   */
  https?: TransportSecurity;
}

/**
 * The dashboard's HTTP side: the page and its assets, /api/snapshot (everything as JSON),
 * /api/stream (server-sent events: a snapshot, then each change) and the usual
 * /health/live and /health/ready (ready while it follows a control-plane leader), which stay
 * open to probes when a login is required. Read-only: GET and HEAD, and POST to /login only.
 */
export function createMonitorServer(feed: MonitorFeed, logger: Logger, listenHost: string, opts: MonitorServerOptions = {}): Server {
  const assets = loadAssets();
  const hostAllowed = hostCheck(listenHost);
  const { login } = opts;
  const handler: RequestListener = (req, res) => {
    const [path, search = ''] = (req.url ?? '/').split('?', 2);
    const loginPost = login !== undefined && path === '/login' && req.method === 'POST';
    if (req.method !== 'GET' && req.method !== 'HEAD' && !loginPost)
      return json(res, 405, { error: `only GET and HEAD${login ? ', and POST to /login' : ''}` });
    if (!hostAllowed(req.headers.host)) return json(res, 421, { error: `this dashboard answers to ${listenHost} and localhost, not to "${req.headers.host}"` });
    switch (path) {
      case '/health/live':
        // The pid tells `shoal up` that the monitor it started answers, not another one.
        return json(res, 200, { live: true, pid: process.pid });
      case '/health/ready':
        // Ready while following a leader; a probe needs only that. Behind a login, where the leader is stays behind it too.
        return json(res, feed.status.connected ? 200 : 503, login ? { ready: feed.status.connected } : { ready: feed.status.connected, ...feed.status });
    }
    if (login?.answer(req, res, path, new URLSearchParams(search))) return;
    if (path === '/login') return redirect(res, '/');
    const asset = assets.get(path === '/index.html' ? '/' : path);
    if (asset) {
      res.writeHead(200, {
        'content-type': asset.type,
        'cache-control': 'no-cache',
        // The page may load and call nothing but this origin.
        'content-security-policy': "default-src 'self'; img-src 'self' data:",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      return res.end(req.method === 'HEAD' ? undefined : asset.body);
    }
    switch (path) {
      case '/api/snapshot':
        return json(res, 200, feed.snapshot());
      case '/api/stream':
        return stream(feed, req, res, logger);
      default:
        return json(res, 404, { error: `no such page: ${path}`, pages: ['/', '/api/snapshot', '/api/stream', '/health/live', '/health/ready'] });
    }
  };
  if (!opts.https) return createServer(handler);
  // New connections get a renewed certificate; open page streams keep theirs until they end.
  // (Told only on a later tick, once `server` is set.)
  const identity = opts.https.serverIdentity((next) => server.setSecureContext(next));
  if (!identity) throw new Error('createMonitorServer: https needs TLS material (the config has no tls section)');
  const server = createHttpsServer({ cert: identity.cert, key: identity.key, requestCert: false }, handler);
  server.on('close', () => identity.stop());
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
 * Which Host headers to answer on loopback: the listen address and localhost. So a web page
 * elsewhere cannot read the dashboard through a name it rebinds to 127.0.0.1 (DNS rebinding).
 * Beyond loopback any Host is answered (hosts have names the monitor cannot know) and the login
 * protects it instead: a rebinding page is another origin, so it has no session cookie, and it
 * does not know the token.
 */
function hostCheck(listenHost: string): (host: string | undefined) => boolean {
  if (!isLoopback(listenHost)) return () => true;
  const names = new Set(['localhost', '127.0.0.1', '[::1]', listenHost.includes(':') ? `[${listenHost}]` : listenHost]);
  return (host) => host !== undefined && names.has(host.replace(/:\d+$/, ''));
}

function redirect(res: ServerResponse, to: string): void {
  res.writeHead(303, { location: to });
  res.end();
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}
