import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../common/paths';
import { DiscoveryService } from '../../gen/shoal/v1/discovery';
import { EventsService } from '../../gen/shoal/v1/events';
import { HealthService } from '../../gen/shoal/v1/health';
import { ScaleService } from '../../gen/shoal/v1/scale';
import { StateService } from '../../gen/shoal/v1/state';
import { SyncService } from '../../gen/shoal/v1/sync';
import { callsOf, closing, codeOnly, type FoundCall, topLevelArgs } from '../support/outgoingCalls';

/*
 * Every outgoing call of product code has a deadline (docs/security.md, "Deadlines"); this keeps
 * it so. It scans the source rather than watching calls at run time: a client interceptor in a
 * test sees only the calls that test drives (a StateClient put, say), while the calls most
 * likely to hang a node are on paths no in-process test reaches (anti-entropy, a switchover's
 * fence, the dashboard's conflict lists, the CLI). The TypeScript compiler's API is not used
 * (the 5.9 line installed here has one, but TypeScript 7, where the project is headed, has none).
 * So the scan reads code as this code base writes it:
 * - a generated gRPC unary call is a call of a unary method of shoal.v1's services whose last
 *   argument is its callback (a function, or `cb`); it must sit inside `unaryCall(`'s first
 *   argument (common/client/grpcCall.ts, which always sets a deadline) or pass `deadline:`.
 *   Wrappers with the same names (StateClient.get) take no callback and are not matched;
 * - a call of a streaming method (or an EventSource) must be one of the open-by-design streams
 *   below, each cancelled on stop;
 * - `fetch(` must pass a `signal`, a node:http(s) request a `timeout` or `signal`;
 * - only common/consul/ConsulApi.ts talks to Consul, and every request there carries a timeout.
 * A call it cannot see (a generated method passed around unbound, say) is not checked.
 */

const PRODUCT_DIRS = ['services', 'control-plane', 'common', 'cli', 'lab'];

const SERVICES = [DiscoveryService, EventsService, HealthService, ScaleService, StateService, SyncService];
const METHODS = SERVICES.flatMap((s) => Object.entries(s as Record<string, { requestStream: boolean; responseStream: boolean }>));
const UNARY = METHODS.filter(([, m]) => !m.requestStream && !m.responseStream).map(([name]) => name);
const STREAMING = METHODS.filter(([, m]) => m.requestStream || m.responseStream).map(([name]) => name);

/**
 * The streams meant to stay open, so without a deadline: `file: method` → how each is ended on
 * stop and how a dead peer is found on it (servers ping every connection, transportLimits.ts;
 * these say how the client side notices a server that vanished).
 */
const OPEN_BY_DESIGN: Record<string, string> = {
  'services/node/replication/Follower.ts: replicate': 'stop() cancels it; no message for 3 heartbeats ends and redials it',
  'control-plane/observe/NodeStream.ts: streamStatus': 'close() cancels it; a node whose samples stop is suspected from lastSampleAt',
  'control-plane/monitor/ClusterFeed.ts: watchCluster': 'stop() ends the session and cancels it; no picture for 3 periods ends it',
  'control-plane/monitor/ClusterFeed.ts: watchEvents': 'cancelled with WatchCluster, whose stall ends both',
  'cli/commands/events.ts: watchEvents': 'the session ends when the lock passes on (read every second) and cancels it',
  'control-plane/monitor/dashboard/stream.js: EventSource': 'the page’s stream; the browser reconnects by itself',
};

function productFiles(): string[] {
  return PRODUCT_DIRS.flatMap((dir) =>
    readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(ts|js|mjs)$/.test(f) && !f.endsWith('.d.ts'))
      .map((f) => join(dir, f)),
  );
}

/** Whether an argument is a callback: a function expression, or a parameter named so. */
function isCallback(arg: string | undefined): boolean {
  return arg !== undefined && (/^(async\s+)?(\([^()]*\)|[\w$]+)\s*(:[^=]*)?=>/.test(arg) || /^function\b/.test(arg) || /^(cb|callback)$/.test(arg));
}

/** Generated unary calls that set no deadline, as `file:line name`. */
export function unaryWithoutDeadline(file: string, code: string): string[] {
  const wrapped = callsOf(code, ['unaryCall'], { bare: true }).map((c) => {
    const first = topLevelArgs(c.args)[0] ?? '';
    const from = c.open + 1 + c.args.indexOf(first);
    return { from, to: from + first.length };
  });
  const inWrapper = (c: FoundCall) => wrapped.some((w) => c.start >= w.from && c.end <= w.to);
  return callsOf(code, UNARY)
    .filter((c) => isCallback(topLevelArgs(c.args).at(-1)))
    .filter((c) => !inWrapper(c) && !/\bdeadline\s*:/.test(c.args))
    .map((c) => `${file}:${c.line} ${c.name}`);
}

/** Streaming calls (and EventSources) outside OPEN_BY_DESIGN, as `file:line name`. */
export function unlistedStreams(file: string, code: string): string[] {
  const calls = [...callsOf(code, STREAMING).filter((c) => c.receiver !== 'this'), ...callsOf(code, ['EventSource', 'WebSocket'], { bare: true })];
  return calls.filter((c) => !(`${file}: ${c.name}` in OPEN_BY_DESIGN)).map((c) => `${file}:${c.line} ${c.name}`);
}

/** fetch calls without a signal and node:http(s) requests without a timeout or signal, as `file:line name`. */
export function httpWithoutTimeout(file: string, code: string, src: string): string[] {
  const fetches = callsOf(code, ['fetch'], { bare: true }).filter((c) => !/\bsignal\b/.test(c.args));
  const imported = [...src.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(?:node:)?https?'/g)].flatMap((m) =>
    m[1].split(',').map((n) =>
      n
        .trim()
        .split(/\s+as\s+/)
        .at(-1)!,
    ),
  );
  const named = imported.filter((n) => n === 'request' || n === 'get');
  const namespaces = [...src.matchAll(/import\s+(?:\*\s+as\s+)?(\w+)\s+from\s*'(?:node:)?https?'/g)].map((m) => m[1]);
  const requests = [
    ...(named.length > 0 ? callsOf(code, named, { bare: true }) : []),
    ...callsOf(code, ['request', 'get']).filter((c) => namespaces.includes(c.receiver)),
  ].filter((c) => !/\b(timeout|signal)\b/.test(c.args));
  return [...fetches, ...requests].map((c) => `${file}:${c.line} ${c.name}`);
}

describe('every outgoing call has a deadline', function () {
  const files = productFiles().map((file) => {
    const src = readFileSync(join(REPO_ROOT, file), 'utf8');
    return { file, src, code: codeOnly(src) };
  });

  it('finds the product source and the generated methods', function () {
    assert.ok(files.length > 100, `only ${files.length} files under ${PRODUCT_DIRS.join(', ')}`);
    assert.ok(UNARY.includes('getDigest') && UNARY.includes('forget') && STREAMING.includes('replicate'));
  });

  it('gives every generated gRPC unary call a deadline', function () {
    const calls = files.flatMap(({ code }) => callsOf(code, UNARY).filter((c) => isCallback(topLevelArgs(c.args).at(-1))));
    // The scan sees the calls it guards (unaryCall's lambdas, the CLI's forget).
    assert.ok(calls.length >= 25, `only ${calls.length} generated unary calls found`);
    assert.deepEqual(
      files.flatMap(({ file, code }) => unaryWithoutDeadline(file, code)),
      [],
    );
  });

  it('opens no long-lived stream but the ones open by design', function () {
    assert.deepEqual(
      files.flatMap(({ file, code }) => unlistedStreams(file, code)),
      [],
    );
    for (const entry of Object.keys(OPEN_BY_DESIGN)) {
      const [file, name] = entry.split(': ');
      const code = files.find((f) => f.file === file)?.code ?? '';
      assert.match(code, new RegExp(`\\b${name}\\s*\\(`), `${entry} is listed but not called`);
      if (!file.endsWith('.js')) assert.match(code, /\.cancel\(\)/, `${file} never cancels its stream`);
    }
  });

  it('bounds every fetch and node:http(s) request', function () {
    assert.deepEqual(
      files.flatMap(({ file, code, src }) => httpWithoutTimeout(file, code, src)),
      [],
    );
  });

  it('talks to Consul only through ConsulApi, each request with a timeout', function () {
    assert.deepEqual(
      files.filter(({ src }) => /from\s*'consul'/.test(src)).map((f) => f.file),
      ['common/consul/ConsulApi.ts'],
    );
    const { code } = files.find((f) => f.file === 'common/consul/ConsulApi.ts')!;
    const requests = [...code.matchAll(/\bclient\.(\w+)\.(\w+)(?:\.(\w+))?\s*\(/g)];
    assert.ok(requests.length >= 12, `only ${requests.length} Consul requests found`);
    for (const r of requests) {
      const open = r.index + r[0].length - 1;
      const args = code.slice(open + 1, closing(code, open) - 1);
      // health.service and kv.get take the request `indexed` builds, which sets the timeout.
      assert.match(args, /\btimeout\b|^request\b/, `${r[0]} passes no timeout`);
    }
    assert.match(code, /const request: Record<string, unknown> = \{ \.\.\.params, ctx, timeout: timeoutMs \}/);
  });

  describe('the scan', function () {
    const scan = (src: string) => {
      const code = codeOnly(src);
      return [...unaryWithoutDeadline('x.ts', code), ...unlistedStreams('x.ts', code), ...httpWithoutTimeout('x.ts', code, src)];
    };

    it('finds a generated call, a stream, a fetch and a request without a bound', function () {
      const src = [
        "import { request } from 'node:https';",
        'client.getDigest({ term: 1 }, new Metadata(), {}, (err, res) => done(err, res));',
        'c.forget({ nodeId }, cb);',
        'const s = client.watchMembers({});',
        "await fetch(url, { method: 'HEAD' });",
        'request(url, (res) => res.resume());',
      ].join('\n');
      assert.deepEqual(scan(src), ['x.ts:2 getDigest', 'x.ts:3 forget', 'x.ts:4 watchMembers', 'x.ts:5 fetch', 'x.ts:6 request']);
    });

    it('passes the same calls with a bound, and ignores comments, strings and wrappers', function () {
      const src = [
        "import { request } from 'node:https';",
        'await unaryCall((m, o, cb) => client.getDigest({ term: 1 }, m, o, cb), Date.now() + 1000);',
        'c.forget({ nodeId }, md, { deadline: Date.now() + 1 }, cb);',
        '// client.watchMembers({}) and fetch(url) in a comment',
        "const help = 'client.list({}, cb) fetch(x)';",
        "await fetch(`${base}/x?y=${encodeURIComponent('(')}`, { signal: AbortSignal.timeout(1000) });",
        'request(url, { timeout: 500 }, (res) => res.resume());',
        "await state.get('key', { consistency: 'stale' });",
        'this.watch();',
      ].join('\n');
      assert.deepEqual(scan(src), []);
    });
  });
});
