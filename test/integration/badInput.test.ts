import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../common/net/freePort';
import { waitFor } from '../../common/time/waitFor';
import { call, clientsFor } from '../support/grpcClients';
import { NodeProcess } from '../support/nodeProcess';
import { outputDir, startTestConsul, type TestConsul } from '../support/testConsul';

/** Starts a node that must refuse to run; returns its exit code and stderr. */
async function refusedStart(args: string[], role: 'primary' | 'replica' | 'worker' = 'worker', consulAddress = '127.0.0.1:1') {
  const node = NodeProcess.spawn({ role, consulAddress, args });
  const exit = await node.exited;
  return { code: exit.code, stderr: node.stderr.join('') };
}

describe('a node started with bad input', function () {
  it('refuses a config value that is wrong, naming the field, with exit code 2', async function () {
    const file = join(outputDir('configs'), 'bad-port.json');
    writeFileSync(file, JSON.stringify({ nodes: [{ id: 'worker', type: 'worker', config: { port: 'eighty' } }] }));
    const { code, stderr } = await refusedStart(['--id', 'worker-1', '--config', file]);
    assert.equal(code, 2);
    assert.match(stderr, /invalid config: nodes\[0\]\.config\.port must be an integer from 0 to 65535/);
  });

  it('refuses a config file that is not JSON, naming the file', async function () {
    const file = join(outputDir('configs'), 'not-json.json');
    writeFileSync(file, '{ nodes: ');
    const { code, stderr } = await refusedStart(['--id', 'worker-1', '--config', file]);
    assert.equal(code, 2);
    assert.match(stderr, /--config is not valid JSON \(.*not-json\.json\)/);
  });

  it('refuses an unknown role, a replica without --id, a malformed id and an unknown flag', async function () {
    assert.match((await refusedStart(['--role', 'leader'])).stderr, /--role must be one of primary, replica, worker/);
    assert.match((await refusedStart([], 'replica')).stderr, /--id is required for a replica/);
    assert.match((await refusedStart(['--id', 'Worker_1'])).stderr, /--id "Worker_1" must be lowercase/);
    const unknown = await refusedStart(['--id', 'worker-1', '--colour', 'blue']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--colour'/);
  });

  it('refuses to bind every interface without an address to advertise', async function () {
    assert.match((await refusedStart(['--id', 'worker-1', '--host', '0.0.0.0'])).stderr, /--advertise-host is required when --host is 0.0.0.0/);
  });

  it('refuses to serve beyond loopback in plaintext unless told --insecure, and says how', async function () {
    const refused = await refusedStart(['--id', 'worker-1', '--host', '10.99.0.1']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--host is 10\.99\.0\.1, beyond loopback: .*pass --insecure/);
    const wildcard = await refusedStart(['--id', 'worker-1', '--host', '0.0.0.0', '--advertise-host', '10.99.0.1']);
    assert.match(wildcard.stderr, /--host is 0\.0\.0\.0, beyond loopback/);
  });

  it('prints its help with --help and exits 0', async function () {
    const node = NodeProcess.spawn({ role: 'worker', consulAddress: '127.0.0.1:1', args: ['--help'] });
    const exit = await node.exited;
    assert.equal(exit.code, 0);
    assert.match(node.nonJsonLines.join('\n'), /Usage: shoal-node --role ROLE/);
  });
});

describe('a node whose id another live node already holds', function () {
  let consul: TestConsul;
  const nodes: NodeProcess[] = [];

  before(async function () {
    consul = await startTestConsul();
  });

  after(async function () {
    await Promise.all(nodes.map((n) => n.kill()));
    await consul?.stop();
  });

  it('stops with an error naming the id and the live node, and leaves the first registration alone', async function () {
    const first = NodeProcess.spawn({ role: 'worker', id: 'worker-1', consulAddress: consul.address, cluster: 'dup' });
    nodes.push(first);
    const { grpc } = await first.serving();
    await consul.waitForPassing('shoal-dup', 1);
    const second = NodeProcess.spawn({ role: 'worker', id: 'worker-1', consulAddress: consul.address, cluster: 'dup' });
    nodes.push(second);
    const exit = await second.exited;
    assert.equal(exit.code, 1);
    const fatal = second.lines.find((l) => l.msg === 'cannot run this node');
    assert.match(String(fatal?.err), new RegExp(`node id "worker-1" is already registered by a live node at ${grpc}`));
    const { value } = await consul.api.healthService('shoal-dup');
    assert.equal(`${value[0].Service.Address}:${value[0].Service.Port}`, grpc);
  });
});

describe('a node started before Consul', function () {
  let consul: TestConsul | undefined;
  let node: NodeProcess;

  after(async function () {
    await node?.kill();
    await consul?.stop();
  });

  it('serves at once, says it is retrying, and registers when Consul comes up', async function () {
    const port = await freePort();
    node = NodeProcess.spawn({ role: 'primary', consulAddress: `127.0.0.1:${port}`, cluster: 'late' });
    await node.serving();
    await node.logLine('Consul unreachable; will keep retrying registration');
    consul = await startTestConsul({ httpPort: port });
    await consul.waitForPassing('shoal-late', 1);
    await node.logLine('registered in Consul');
  });

  it('keeps serving with its last known membership, marked stale, while Consul is away', async function () {
    const address = (await node.serving()).grpc;
    const c = clientsFor(address);
    try {
      await waitFor('a fresh view with itself', async () => (await call(c.discovery, c.discovery.listMembers, {})).members.length === 1, { timeoutMs: 10000 });
      await consul!.stop();
      const stale = await waitFor(
        'the view to turn stale',
        async () => {
          const view = await call(c.discovery, c.discovery.listMembers, {});
          return view.stale && view;
        },
        { timeoutMs: 45000 },
      );
      assert.deepEqual(
        stale.members.map((m) => m.id),
        ['primary'],
      );
      const status = await call(c.health, c.health.getStatus, {});
      assert.equal(status.ready, true);
    } finally {
      c.close();
    }
  });
});

describe('a control plane started with bad input', function () {
  /** Runs bin/shoal-control-plane.js to its exit. */
  function controlPlane(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(__dirname, '..', '..', 'bin', 'shoal-control-plane.js'), ...args],
        { env: { ...process.env, ...env }, timeout: 20_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
      );
    });
  }

  it('names the wrong flag or config field and exits 2; prints its help with --help', async function () {
    const unknown = await controlPlane(['--colour', 'blue']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--colour'/);
    const port = await controlPlane(['--port', '99999']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port must be a port from 0 to 65535 \(got "99999"\)/);
    const file = join(outputDir('configs'), 'bad-control-plane.json');
    writeFileSync(file, JSON.stringify({ controlPlane: { restartBackoffInitial: 5000, restartBackoffMax: 100 } }));
    const backoff = await controlPlane(['--config', file]);
    assert.equal(backoff.code, 2);
    assert.match(backoff.stderr, /controlPlane\.restartBackoffMax is 100, below controlPlane\.restartBackoffInitial \(5000\)/);
    const help = await controlPlane(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: shoal-control-plane \[options\]/);
  });
});
