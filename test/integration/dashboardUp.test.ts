import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../common/net/freePort';
import { isRunning } from '../../common/local/processRecord';
import { RunDir } from '../../common/local/RunDir';
import { writeEphemeralClusterConfig } from '../support/ephemeralClusterConfig';
import { httpRequestOf } from '../support/httpRequest';
import { trackRunDir } from '../support/processRegistry';
import { runCli } from '../support/runCli';
import { outputDir } from '../support/testConsul';

describe('shoal up with the dashboard beyond loopback', function () {
  let env: NodeJS.ProcessEnv;
  let runDir: RunDir;
  let config: string;

  before(async function () {
    const dir = outputDir('dashboard-up');
    runDir = new RunDir(join(dir, 'run'));
    trackRunDir(runDir.path);
    config = join(dir, 'cluster.json');
    // The smallest cluster up can wait for: a primary alone.
    writeEphemeralClusterConfig(config, 'dashup', { replicas: 0, workers: 0 });
    env = { CONSUL_HTTP_ADDR: `127.0.0.1:${await freePort()}`, SHOAL_RUN_DIR: runDir.path, SHOAL_DASHBOARD_TOKEN: undefined };
  });

  after(async function () {
    await runCli(['down', '--timeout', '3000'], env);
  });

  it('refuses it without TLS before starting anything', async function () {
    const result = await runCli(['up', '--config', config, '--dashboard-host', '0.0.0.0'], env);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /--dashboard-host 0\.0\.0\.0 is beyond loopback: the dashboard then serves HTTPS .* add --tls/);
    assert.equal(runDir.read(), undefined, 'nothing was started');
  });

  it('with --tls, prints a login URL with a token it made, which logs in over HTTPS with the cluster CA and is in no log', async function () {
    this.timeout(150_000);
    const port = await freePort();
    const result = await runCli(
      ['up', '--config', config, '--tls', '--dashboard-host', '0.0.0.0', '--dashboard-port', String(port), '--timeout', '120000'],
      env,
      140_000,
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const login = new RegExp(
      `^Dashboard: log in at (https://localhost:${port}/\\?token=([\\w-]{43}))  \\(a token made for this run, printed only here\\)$`,
      'm',
    ).exec(result.stdout);
    assert.ok(login, result.stdout);
    assert.match(result.stdout, new RegExp(`^Dashboard: {2}https://localhost:${port}$`, 'm'));
    const ca = readFileSync(join(runDir.path, 'certs', 'ca.crt'));
    const base = `https://127.0.0.1:${port}`;
    assert.equal((await httpRequestOf(`${base}/api/snapshot`, { ca })).status, 401);
    const loggedIn = await httpRequestOf(login[1].replace('localhost', '127.0.0.1'), { ca });
    assert.deepEqual([loggedIn.status, loggedIn.headers.location], [303, '/']);
    const session = loggedIn.headers['set-cookie']![0].split(';')[0];
    assert.equal((await httpRequestOf(`${base}/api/snapshot`, { ca, headers: { cookie: session } })).status, 200);
    const monitor = runDir.read()!.monitor!;
    assert.ok(isRunning(monitor));
    assert.ok(!readFileSync(monitor.log, 'utf8').includes(login[2]), 'the token is in the monitor log');
    assert.ok(!JSON.stringify(runDir.read()).includes(login[2]), 'the token is in the run state');
  });
});
