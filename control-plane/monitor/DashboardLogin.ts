import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loginPage, TOKEN_SOURCE } from './loginPage';

/** How long a login lasts, ms; after it the page goes back to /login. */
const SESSION_MS = 12 * 3_600_000;
/** A login form's body is one short field; anything longer is not one. */
const MAX_FORM_BYTES = 4096;

/**
 * The dashboard's login: one token, given once as `/?token=T` or through the form at /login
 * (which set a session cookie and redirect to /), or with each call as `Authorization: Bearer T`
 * (scripts, curl). Without either, the page redirects to /login and the API answers 401.
 *
 * The cookie holds a session, not the token: `<expiry>.<HMAC of the expiry>`, keyed by a key
 * derived from the token. So the token itself never sits in the browser's cookie jar or crosses
 * the network again after the login, a cookie stops working after SESSION_MS (checked here, not
 * only by the browser) and as soon as the token changes (a monitor restarted with a new generated
 * one), and no session store is needed: a configured token's sessions outlive a monitor restart.
 * Tokens and MACs are compared in constant time, so the time of a refusal says nothing of how
 * much of a guess was right.
 */
export class DashboardLogin {
  private readonly tokenDigest: Buffer;
  private readonly sessionKey: Buffer;

  constructor(
    token: string,
    /** Cookies marked Secure: the dashboard serves HTTPS. */
    private readonly secure: boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.tokenDigest = sha256(token);
    this.sessionKey = createHmac('sha256', token).update('shoal dashboard session').digest();
  }

  /**
   * Decides a request before the pages see it: answers /login (the form, and its POST), trades
   * `/?token=` for a session cookie, and refuses the page (303 to /login) and /api/* (401) without
   * a valid session or bearer token. Other paths (assets, probes, 404s) pass.
   * @returns whether it answered the request.
   */
  answer(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): boolean {
    if (path === '/login') {
      if (req.method === 'POST') this.loginByForm(req, res);
      else if (this.authenticated(req) === 'yes') redirect(res, '/');
      else loginPage(res, 200);
      return true;
    }
    const page = path === '/' || path === '/index.html';
    if (!page && !path.startsWith('/api/')) return false;
    const offered = query.get('token');
    if (page && offered !== null) {
      // The token leaves the address bar at once: the redirect drops it.
      if (this.tokenMatches(offered)) this.startSession(req, res);
      else loginPage(res, 401, "That is not this dashboard's token.");
      return true;
    }
    const auth = this.authenticated(req);
    if (auth === 'yes') return false;
    if (page) redirect(res, '/login');
    else {
      const why = auth === 'wrong' ? "the bearer token is not this dashboard's token" : 'this dashboard requires its login token';
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="shoal dashboard"', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ error: `${why}: send Authorization: Bearer TOKEN, or log in at /login; ${TOKEN_SOURCE}` }) + '\n');
    }
    return true;
  }

  /** 'yes' with a valid bearer token or session cookie; 'wrong' when a bearer token was given and is not the one; else 'no'. */
  private authenticated(req: IncomingMessage): 'yes' | 'wrong' | 'no' {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (bearer) return this.tokenMatches(bearer[1]) ? 'yes' : 'wrong';
    const session = cookieValue(req.headers.cookie, cookieName(req));
    return session !== undefined && this.sessionValid(session) ? 'yes' : 'no';
  }

  private tokenMatches(offered: string): boolean {
    // Digests are of equal length whatever was offered, as timingSafeEqual needs.
    return timingSafeEqual(sha256(offered), this.tokenDigest);
  }

  private sessionValid(value: string): boolean {
    const [expiry, mac, ...rest] = value.split('.');
    if (rest.length || !/^\d{1,15}$/.test(expiry) || Number(expiry) <= this.now()) return false;
    const given = Buffer.from(mac ?? '', 'base64url');
    const expected = this.macOf(expiry);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private macOf(expiry: string): Buffer {
    return createHmac('sha256', this.sessionKey).update(expiry).digest();
  }

  private startSession(req: IncomingMessage, res: ServerResponse): void {
    const expiry = String(this.now() + SESSION_MS);
    const value = `${expiry}.${this.macOf(expiry).toString('base64url')}`;
    const flags = `Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}${this.secure ? '; Secure' : ''}`;
    redirect(res, '/', { 'set-cookie': `${cookieName(req)}=${value}; ${flags}` });
  }

  private loginByForm(req: IncomingMessage, res: ServerResponse): void {
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      loginPage(res, 415, 'The login form posts application/x-www-form-urlencoded.');
      return void req.resume();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_FORM_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_FORM_BYTES) return loginPage(res, 413, 'That is longer than any token.');
      const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('token') ?? '';
      if (this.tokenMatches(token)) this.startSession(req, res);
      else loginPage(res, 401, "That is not this dashboard's token.");
    });
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Cookies do not tell ports apart: two dashboards on one host (two clusters, a test's monitors)
 * would overwrite each other's session under one name, so the name carries the port.
 */
function cookieName(req: IncomingMessage): string {
  return `shoal-dashboard-${req.socket.localPort ?? 0}`;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function redirect(res: ServerResponse, to: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { location: to, 'cache-control': 'no-store', ...headers });
  res.end();
}
