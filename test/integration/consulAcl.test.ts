import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StateClient } from '../../common/client/StateClient';
import { readLeader } from '../../common/cluster/leaderRecord';
import { ConsulApi } from '../../common/consul/ConsulApi';
import { waitFor } from '../../common/time/waitFor';
import { ControlPlaneCluster } from '../support/controlPlaneCluster';
import { writeEphemeralClusterConfig } from '../support/ephemeralClusterConfig';
import { runCli } from '../support/runCli';
import { outputDir } from '../support/testConsul';

const REPO = join(__dirname, '..', '..');

/** Runs one of bin/'s programs to its end (it is expected to stop by itself). */
function runProgram(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string; output: string }> {
  // Tokens of the shell running the tests are not the test's.
  const childEnv = { ...process.env, CONSUL_HTTP_TOKEN: undefined, CONSUL_HTTP_TOKEN_FILE: undefined, ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO, 'bin', bin), ...args], { cwd: REPO, env: childEnv, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr, output: stdout + stderr }),
    );
  });
}

describe("a Consul with ACLs on (default deny) and a token holding only shoal consul-policy's rules", function () {
  this.timeout(90_000);
  let c: ControlPlaneCluster;
  /** The token every shoal process has (consul.tokenFile of the cluster's config). */
  let token: string;

  before(async function () {
    c = await ControlPlaneCluster.start({ cluster: 'acl', controlPlanes: 2, workers: 1, consulAcl: true });
    token = readFileSync(join(dirname(c.configPath), 'consul.token'), 'utf8').trim();
  });

  after(async function () {
    await c?.stop();
  });

  it('forms the cluster, takes writes, and fails a killed primary over', async function () {
    await c.ready();
    const state = new StateClient({ consul: new ConsulApi(c.consul.address, { token }), cluster: 'acl', deadlineMs: 15_000, credentials: c.credentials });
    try {
      const before = await state.put('acl/before', Buffer.from('kept'));
      assert.equal(before.term, 1);
      c.killNode('primary');
      const promoted = await waitFor(
        'a replica promoted in the leader record',
        async () => {
          const { record } = await readLeader(c.consul.api, 'acl');
          return record && record.primaryId !== 'primary' && record;
        },
        { timeoutMs: 30_000 },
      );
      const after = await state.put('acl/after', Buffer.from('written'));
      assert.equal(after.term, promoted.term);
      assert.equal((await state.get('acl/before')).value?.toString(), 'kept');
    } finally {
      state.close();
    }
  });

  it('serves the CLI with the config’s token, and without one says which setting is missing', async function () {
    // The status exits 0 once every node passes, whatever an earlier test killed.
    const withToken = await waitFor(
      'shoal status with the token to see every node passing',
      async () => {
        const r = await runCli(['status', '--config', c.configPath], { CONSUL_HTTP_ADDR: c.consul.address });
        return r.code === 0 && r;
      },
      { timeoutMs: 30_000 },
    );
    assert.match(withToken.stdout, /replica-1 .* passing/);
    const without = await runCli(['status', '--cluster', 'acl'], { CONSUL_HTTP_ADDR: c.consul.address, SHOAL_CONFIG: '' });
    assert.notEqual(without.code, 0);
    assert.match(without.stderr, /consul\.token is not set, and Consul's ACLs refuse anonymous requests \(Permission denied\)/);
    assert.ok(!without.stderr.includes(token));
  });

  it('stops a node or control plane at start that has no token, or one Consul does not know, naming the setting', async function () {
    const dir = mkdtempSync(join(outputDir('acl'), 'no-token-'));
    const config = writeEphemeralClusterConfig(join(dir, 'cluster.json'), 'acl');
    const env = { CONSUL_HTTP_ADDR: c.consul.address };
    const node = ['--role', 'replica', '--id', 'replica-9', '--config', config, '--port', '0', '--http-port', '0', '--data-dir', join(dir, 'data')];
    const none = await runProgram('shoal-node.js', node, env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /shoal-node: invalid config: consul\.token is not set, and Consul's ACLs refuse anonymous requests/);
    const unknown = await runProgram('shoal-node.js', node, { ...env, CONSUL_HTTP_TOKEN: 'not-a-token-consul-knows' });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /shoal-node: invalid config: CONSUL_HTTP_TOKEN is not a token Consul knows \(ACL not found\)/);
    assert.ok(!unknown.output.includes('not-a-token-consul-knows'), 'the token itself is neither printed nor logged');
    const tokenFile = join(dir, 'wrong.token');
    writeFileSync(tokenFile, 'also-unknown\n');
    const plane = await runProgram('shoal-control-plane.js', ['--id', 'control-plane-9', '--config', config, '--run-dir', join(dir, 'run')], {
      ...env,
      CONSUL_HTTP_TOKEN_FILE: tokenFile,
    });
    assert.equal(plane.code, 1);
    assert.match(plane.stderr, /shoal-control-plane: invalid config: CONSUL_HTTP_TOKEN_FILE is not a token Consul knows \(ACL not found\)/);
  });
});
