import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../common/net/freePort';
import { isRunning } from '../../common/local/processRecord';
import { RunDir } from '../../common/local/RunDir';
import { runCli } from '../support/runCli';
import { writeEphemeralClusterConfig } from '../support/ephemeralClusterConfig';
import { trackRunDir } from '../support/processRegistry';
import { outputDir, startTestConsul } from '../support/testConsul';

describe('the shoal command', function () {
  it('explains itself with --help, for every command', async function () {
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Usage: shoal COMMAND/);
    for (const command of ['up', 'down', 'status', 'events', 'kill', 'logs', 'put', 'get', 'ls', 'rm', 'publish', 'load', 'dlq', 'switchover', 'failover']) {
      const help = await runCli([command, '--help']);
      assert.equal(help.code, 0, `${command} --help`);
      assert.match(help.stdout, new RegExp(`Usage: shoal ${command}`));
    }
  });

  it('names an unknown command and an unknown option', async function () {
    const command = await runCli(['upp']);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command "upp"/);
    const option = await runCli(['status', '--colour']);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /Unknown option '--colour'/);
  });

  it('says clearly when Consul cannot be reached', async function () {
    const result = await runCli(['status'], { CONSUL_HTTP_ADDR: `127.0.0.1:${await freePort()}` });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /shoal: cannot reach Consul at 127\.0\.0\.1:\d+; is the cluster up\?/);
  });

  it('--consul HOST:PORT wins over CONSUL_HTTP_ADDR, and a malformed one is a clear error', async function () {
    const consul = await startTestConsul();
    try {
      const unreachable = `127.0.0.1:${await freePort()}`;
      const result = await runCli(['status', '--consul', consul.address, '--cluster', 'no-such-cluster'], { CONSUL_HTTP_ADDR: unreachable });
      assert.match(result.stdout, new RegExp(`No nodes of cluster "no-such-cluster" are registered in Consul at ${consul.address.replace(/\./g, '\\.')}`));
      assert.doesNotMatch(result.stderr, /cannot reach Consul/);
    } finally {
      await consul.stop();
    }
    for (const command of ['ls', 'up']) {
      const malformed = await runCli([command, '--consul', 'consul.local']);
      assert.equal(malformed.code, 1, command);
      assert.match(malformed.stderr, /--consul must be HOST:PORT of Consul's HTTP API, e\.g\. 127\.0\.0\.1:8500 \(got "consul\.local"\)/);
    }
  });

  it("asks the config's consul.fallbackAddresses when the agent does not answer, and names them all when none does", async function () {
    const consul = await startTestConsul();
    const dir = mkdtempSync(join(outputDir('cli'), 'fallback-'));
    try {
      const agent = `127.0.0.1:${await freePort()}`;
      const config = join(dir, 'cluster.json');
      writeFileSync(config, JSON.stringify({ name: 'no-such-cluster', consul: { fallbackAddresses: [consul.address] } }));
      const answered = await runCli(['status', '--config', config, '--consul', agent]);
      assert.doesNotMatch(answered.stderr, /cannot reach Consul/);
      assert.match(answered.stdout, new RegExp(`No nodes of cluster "no-such-cluster" are registered in Consul at ${consul.address.replace(/\./g, '\\.')}`));
      const none = `127.0.0.1:${await freePort()}`;
      writeFileSync(config, JSON.stringify({ name: 'no-such-cluster', consul: { fallbackAddresses: [none] } }));
      const refused = await runCli(['status', '--config', config, '--consul', agent]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`cannot reach Consul at ${agent} nor at ${none} \\(consul\\.fallbackAddresses\\)`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await consul.stop();
    }
  });

  describe('up, status and down on a fresh machine (no Consul running)', function () {
    let env: NodeJS.ProcessEnv;
    let dashboardPort: number;
    let runDir: RunDir;
    let config: string;

    before(async function () {
      // The test's own Consul port and run directory; nodes take OS-chosen ports (port 0).
      const dir = outputDir('cli-cluster');
      runDir = new RunDir(join(dir, 'run'));
      trackRunDir(runDir.path);
      config = join(dir, 'cluster.json');
      writeEphemeralClusterConfig(config, 'clitest');
      env = { CONSUL_HTTP_ADDR: `127.0.0.1:${await freePort()}`, SHOAL_RUN_DIR: runDir.path };
      dashboardPort = await freePort();
    });

    after(async function () {
      // Whatever happened above, leave no process behind.
      await runCli(['down', '--timeout', '3000'], env);
    });

    it('up starts a Consul dev agent, the dashboard and two control planes, which start five nodes; it waits until all pass and prints the table', async function () {
      // Five processes and a Consul agent starting at once on two busy cores: give `up` its own
      // deadline, and mocha a longer one, so `up` is never interrupted half-way.
      this.timeout(150_000);
      const result = await runCli(['up', '--config', config, '--timeout', '120000', '--dashboard-port', String(dashboardPort)], env, 140_000);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /Consul: starting a dev agent/);
      assert.match(result.stdout, /Control planes: started control-plane-1, control-plane-2/);
      assert.match(result.stdout, /Cluster "clitest" is up: 5 nodes healthy/);
      assert.match(
        result.stdout,
        /^Control plane: control-plane-[12] leads \(127\.0\.0\.1:\d+, passing\); standby: control-plane-[12] \(127\.0\.0\.1:\d+, passing\)$/m,
      );
      for (const [id, role] of [
        ['primary', 'primary'],
        ['replica-1', 'replica'],
        ['replica-2', 'replica'],
        ['worker-1', 'worker'],
        ['worker-2', 'worker'],
      ]) {
        assert.match(result.stdout, new RegExp(`^${id}\\s+${role}\\s+127\\.0\\.0\\.1:\\d+\\s+127\\.0\\.0\\.1:\\d+\\s+passing.*\\syes\\s+0$`, 'm'));
      }
      assert.match(result.stdout, /Consul UI: {2}http:\/\/127\.0\.0\.1:\d+\/ui\/dc1\/services\/shoal-clitest/);
      const ui = await fetch(`http://${env.CONSUL_HTTP_ADDR}/ui/`);
      assert.equal(ui.status, 200, 'the Consul UI is served');
      assert.match(result.stdout, new RegExp(`^Dashboard: {2}http://localhost:${dashboardPort}$`, 'm'));
      const page = await fetch(`http://127.0.0.1:${dashboardPort}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>shoal dashboard<\/title>/);
    });

    it('up a second time starts nothing and says the cluster is already running', async function () {
      const pids = () => [...runDir.read()!.controlPlanes, runDir.read()!.monitor!, ...runDir.readNodes()].map((p) => p.pid).sort();
      const before = pids();
      const result = await runCli(['up', '--config', config], env);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /already running/);
      assert.deepEqual(pids(), before);
      const recorded = runDir.readNodes();
      assert.equal(recorded.length, 5, 'the five nodes are recorded in the run directory');
      assert.ok(
        recorded.every((n) => n.startTime),
        'each node is recorded with its start time',
      );
    });

    it('status prints every node passing and exits 0', async function () {
      const result = await runCli(['status', '--config', config], env);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.match(/ passing /g)?.length, 5);
    });

    it('logs prints the nodes’ JSON log lines', async function () {
      const result = await runCli(['logs', '--lines', '5', 'worker-1'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /"node_id":"worker-1".*"msg":"registered in Consul"/);
    });

    it('down stops every process it started and removes Consul’s data', async function () {
      const state = runDir.read()!;
      const processes = [state.monitor!, ...state.controlPlanes, ...runDir.readNodes(), state.consul.process!];
      assert.equal(processes.length, 9);
      const result = await runCli(['down'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Dashboard: terminated/);
      assert.match(result.stdout, /Control planes: control-plane-1: terminated, control-plane-2: terminated/);
      assert.match(result.stdout, /primary: terminated/);
      assert.deepEqual(processes.filter(isRunning), [], 'no process left behind');
      assert.equal(existsSync(runDir.consulDir), false);
      assert.equal(runDir.read(), undefined);
    });
  });
});
