/// <reference lib="dom" />
// Page functions below run in the browser: they see the DOM, not this module.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { waitFor } from '../../common/time/waitFor';
import { launchChromium } from '../support/browser';
import { ControlPlaneCluster } from '../support/controlPlaneCluster';
import { httpRequestOf } from '../support/httpRequest';
import { MonitorProcess } from '../support/monitorProcess';
import { outputDir } from '../support/testConsul';
import { testTls } from '../support/testTls';

const CLUSTER = 'dash-login';
const REPO = join(__dirname, '..', '..');
/** A configured token: long enough for the rule, and unlike anything else in a log. */
const TOKEN = 'configured-dashboard-token-5f1c9a77e2';
const SEEN_WITHIN_MS = 20_000;

/** The monitor's config: the cluster's (its tls section too), with `dashboard` and a quick certificate reload. */
function monitorConfig(cluster: ControlPlaneCluster, name: string, dashboard: Record<string, unknown>): string {
  const raw = JSON.parse(readFileSync(cluster.configPath, 'utf8')) as { tls: Record<string, unknown> };
  const path = join(outputDir('configs'), `${CLUSTER}-${name}.json`);
  writeFileSync(path, JSON.stringify({ ...raw, dashboard, tls: { ...raw.tls, reloadInterval: 200 } }));
  return path;
}

/** The serial number of the certificate a TLS server presents to a new connection. */
function servedSerial(url: string, ca: Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** Starts the monitor expecting it to refuse; its exit code and stderr. */
function refusedStart(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [join(REPO, 'bin', 'shoal-monitor.js'), '--port', '0', ...args], {
    cwd: REPO,
    env: { ...process.env, CONSUL_HTTP_ADDR: '127.0.0.1:1', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: run.status, stderr: run.stderr };
}

describe('the dashboard beyond loopback requires a login token, over HTTPS with the cluster certificates', function () {
  this.timeout(120_000);
  let cluster: ControlPlaneCluster;
  let ca: Buffer;
  let browser: Browser;
  /** Bound to 0.0.0.0 with dashboard.token set; reached through 127.0.0.1. */
  let monitor: MonitorProcess;

  before(async function () {
    cluster = await ControlPlaneCluster.start({ cluster: CLUSTER, tls: true, replicas: 1, workers: 1 });
    await cluster.ready();
    ca = readFileSync(join(outputDir('tls', CLUSTER), 'ca.crt'));
    const config = monitorConfig(cluster, 'configured', { token: TOKEN });
    monitor = await MonitorProcess.start({ cluster: CLUSTER, consulAddress: cluster.consul.address, args: ['--host', '0.0.0.0', '--config', config], ca });
    browser = await launchChromium();
  });

  after(async function () {
    await browser?.close();
    await monitor?.stop();
    await cluster?.stop();
  });

  it('refuses the API without a token (401, saying where the token comes from) and sends the page to /login; the probes stay open', async function () {
    const api = await httpRequestOf(`${monitor.url}/api/snapshot`, { ca });
    assert.equal(api.status, 401);
    assert.equal(api.headers['www-authenticate'], 'Bearer realm="shoal dashboard"');
    assert.match(
      (JSON.parse(api.body) as { error: string }).error,
      /requires its login token: send Authorization: Bearer TOKEN.*dashboard\.token.*SHOAL_DASHBOARD_TOKEN/,
    );
    assert.equal((await httpRequestOf(`${monitor.url}/api/stream`, { ca })).status, 401);
    const page = await httpRequestOf(`${monitor.url}/`, { ca });
    assert.deepEqual([page.status, page.headers.location], [303, '/login']);
    const form = await httpRequestOf(`${monitor.url}/login`, { ca });
    assert.equal(form.status, 200);
    assert.match(form.body, /<form method="post" action="\/login">/);
    assert.deepEqual((await httpRequestOf(`${monitor.url}/health/live`, { ca })).status, 200);
    const ready = await httpRequestOf(`${monitor.url}/health/ready`, { ca });
    assert.deepEqual([ready.status, JSON.parse(ready.body)], [200, { ready: true }], 'behind a login the probe says no more than ready');
  });

  it('refuses a wrong token (Bearer, ?token= and the form) with 401, and takes the right one as Bearer', async function () {
    const wrong = await httpRequestOf(`${monitor.url}/api/snapshot`, { ca, headers: { authorization: 'Bearer not-the-token-at-all-0000' } });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /the bearer token is not this dashboard's token/);
    assert.equal((await httpRequestOf(`${monitor.url}/?token=not-the-token-at-all-0000`, { ca })).status, 401);
    const posted = await httpRequestOf(`${monitor.url}/login`, {
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=not-the-token-at-all-0000',
    });
    assert.equal(posted.status, 401);
    assert.equal(posted.headers['set-cookie'], undefined);
    const right = await httpRequestOf(`${monitor.url}/api/snapshot`, { ca, headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(right.status, 200);
    assert.equal((JSON.parse(right.body) as { connection: { connected: boolean } }).connection.connected, true);
  });

  it('trades ?token= for a session cookie (HttpOnly, SameSite=Strict, Secure, not the token) and a redirect to / without it; a forged cookie is refused', async function () {
    const login = await httpRequestOf(`${monitor.url}/?token=${TOKEN}`, { ca });
    assert.deepEqual([login.status, login.headers.location], [303, '/']);
    const cookie = login.headers['set-cookie']![0];
    const port = new URL(monitor.url).port;
    assert.match(cookie, new RegExp(`^shoal-dashboard-${port}=\\d+\\.[\\w-]+; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$`));
    assert.ok(!cookie.includes(TOKEN));
    const session = cookie.split(';')[0];
    assert.equal((await httpRequestOf(`${monitor.url}/api/snapshot`, { ca, headers: { cookie: session } })).status, 200);
    // A later expiry with the same MAC: the MAC covers the expiry.
    const [name, value] = session.split('=');
    const [expiry, mac] = value.split('.');
    const forged = `${name}=${Number(expiry) + 1}.${mac}`;
    assert.equal((await httpRequestOf(`${monitor.url}/api/snapshot`, { ca, headers: { cookie: forged } })).status, 401);
  });

  it('answers any Host beyond loopback (the login guards it instead)', async function () {
    // The certificate names localhost, not the made-up name; the Host header is what is tested.
    const headers = { host: 'dashboard.example:443', authorization: `Bearer ${TOKEN}` };
    const res = await httpRequestOf(`${monitor.url}/api/snapshot`, { ca, headers, servername: 'localhost' });
    assert.equal(res.status, 200);
  });

  it('logs in through the form in Chromium and shows the cluster; ?token= leaves the address bar', async function () {
    // Chromium has no way to be given the cluster's CA here; the CA check is the next test's.
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const page = await context.newPage();
      await page.goto(`${monitor.url}/`);
      assert.equal(new URL(page.url()).pathname, '/login');
      await page.fill('#token', TOKEN);
      await Promise.all([page.waitForURL(`${monitor.url}/`), page.click('button[type="submit"]')]);
      await page.waitForFunction(() => document.querySelectorAll('#topology g.node[data-node-id][data-status="healthy"]').length === 3, undefined, {
        timeout: SEEN_WITHIN_MS,
        polling: 100,
      });
      assert.equal(await page.getAttribute('#topology g.node[data-primary="true"]', 'data-node-id'), 'primary');
      const [cookie] = await context.cookies();
      assert.deepEqual([cookie.httpOnly, cookie.secure, cookie.sameSite], [true, true, 'Strict']);

      const other = await browser.newContext({ ignoreHTTPSErrors: true });
      try {
        const linked = await other.newPage();
        await linked.goto(`${monitor.url}/?token=${TOKEN}`);
        assert.equal(linked.url(), `${monitor.url}/`);
        await linked.waitForFunction(() => document.querySelectorAll('#topology g.node[data-node-id]').length === 3, undefined, { timeout: SEEN_WITHIN_MS });
      } finally {
        await other.close();
      }
    } finally {
      await context.close();
    }
  });

  it('serves HTTPS that verifies with the cluster CA only, and nothing to plaintext HTTP', async function () {
    assert.equal((await httpRequestOf(`${monitor.url}/health/live`, { ca })).status, 200);
    await assert.rejects(httpRequestOf(`${monitor.url}/health/live`), /self-signed certificate|unable to (get|verify)/);
    await assert.rejects(httpRequestOf(`${monitor.url.replace('https:', 'http:')}/health/live`), /socket hang up|ECONNRESET/);
  });

  it('takes renewed certificate files for new connections, without a restart', async function () {
    const before = await servedSerial(monitor.url, ca);
    testTls(CLUSTER);
    await waitFor('the monitor to serve the renewed certificate', async () => (await servedSerial(monitor.url, ca)) !== before, { timeoutMs: 10_000 });
    assert.equal((await httpRequestOf(`${monitor.url}/api/snapshot`, { ca, headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  });

  it('prints where to log in, without the configured token, which never reaches its output or its log file', async function () {
    assert.match(monitor.output, new RegExp(`^shoal-monitor: the dashboard requires the token of dashboard\\.token .*https://localhost:\\d+/login`, 'm'));
    assert.match(monitor.output, /"msg":"dashboard serving"/);
    assert.equal(await monitor.stop(), 0);
    assert.ok(!monitor.output.includes(TOKEN), 'the token is in the output');
    assert.ok(!readFileSync(monitor.logFile, 'utf8').includes(TOKEN), `the token is in ${monitor.logFile}`);
  });

  it('generates a 256-bit token when none is configured, prints its login URL once on stderr and never in a JSON log line', async function () {
    const generated = await MonitorProcess.start({
      cluster: CLUSTER,
      consulAddress: cluster.consul.address,
      args: ['--host', '0.0.0.0', '--config', monitorConfig(cluster, 'generated', {})],
      ca,
      logName: 'monitor-generated.log',
    });
    try {
      const lines = generated.output.split('\n').filter((l) => l.includes('?token='));
      assert.equal(lines.length, 1, generated.output);
      const url = /(https:\/\/localhost:\d+\/\?token=([\w-]+))/.exec(lines[0])!;
      assert.equal(Buffer.from(url[2], 'base64url').length, 32);
      assert.ok(!lines[0].startsWith('{'), 'a plain line, not a JSON log line');
      const jsonLines = generated.output.split('\n').filter((l) => l.startsWith('{'));
      assert.ok(jsonLines.length > 0 && jsonLines.every((l) => !l.includes(url[2])));
      const login = await httpRequestOf(url[1].replace('localhost', '127.0.0.1'), { ca });
      assert.deepEqual([login.status, login.headers.location], [303, '/']);
    } finally {
      await generated.stop();
    }
  });

  it('requires a configured token on loopback too, over plain HTTP there', async function () {
    const loopback = await MonitorProcess.start({
      cluster: CLUSTER,
      consulAddress: cluster.consul.address,
      args: ['--config', monitorConfig(cluster, 'loopback', {})],
      env: { SHOAL_DASHBOARD_TOKEN: TOKEN },
      logName: 'monitor-loopback.log',
    });
    try {
      assert.ok(loopback.url.startsWith('http://127.0.0.1:'));
      assert.equal((await httpRequestOf(`${loopback.url}/api/snapshot`)).status, 401);
      assert.equal((await httpRequestOf(`${loopback.url}/api/snapshot`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
      // On loopback the Host check stays (DNS rebinding).
      assert.equal((await httpRequestOf(`${loopback.url}/api/snapshot`, { headers: { host: 'evil.example', authorization: `Bearer ${TOKEN}` } })).status, 421);
    } finally {
      await loopback.stop();
    }
    assert.ok(!loopback.output.includes(TOKEN));
  });

  it('will not start beyond loopback without TLS unless --insecure, nor with a token too short, naming the flag or field and not the value', function () {
    const plain = refusedStart(['--host', '0.0.0.0']);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /invalid config: --host is 0\.0\.0\.0, beyond loopback: without TLS .* or pass --insecure/);
    const short = join(outputDir('configs'), `${CLUSTER}-short-token.json`);
    writeFileSync(short, JSON.stringify({ dashboard: { token: 'tooshort' } }));
    const bad = refusedStart(['--config', short]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid config: dashboard\.token must be empty or 16 to 512 printable ASCII characters/);
    assert.ok(!bad.stderr.includes('tooshort'));
    const badEnv = refusedStart([], { SHOAL_DASHBOARD_TOKEN: 'tooshort' });
    assert.match(badEnv.stderr, /invalid config: SHOAL_DASHBOARD_TOKEN must be empty or 16/);
  });
});
