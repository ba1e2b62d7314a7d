import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../common/config/ConfigError';
import { type ConfigWarning, declaredNodeIds, parseClusterConfig, scalingPolicyProblem } from '../../common/config/clusterConfig';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';

function fieldOf(raw: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseClusterConfig(raw, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.field;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseClusterConfig', function () {
  it("fills the seed's defaults: cluster local, primary on 8080, 2 replicas from 8081, 2 workers from 8082", function () {
    const c = parseClusterConfig({});
    assert.equal(c.name, 'local');
    assert.equal(c.consul.address, '127.0.0.1:8500');
    assert.deepEqual(
      c.nodes.map((n) => [n.id, n.type, n.count, n.config.port, n.config.httpPort]),
      [
        ['primary', 'primary', 1, 8080, 9080],
        ['replica', 'replica', 2, 8081, 9081],
        ['worker', 'worker', 2, 8082, 9082],
      ],
    );
    assert.deepEqual(c.sync, {
      interval: 5000,
      conflictResolution: 'last-write-wins',
      targets: ['primary', 'replica-*'],
      minAcks: 1,
      ackTimeout: 5000,
      fsync: 'always',
      retainEntries: 100000,
      heartbeatInterval: 250,
      primaryLease: 750,
    });
    assert.equal(c.health.interval, 30000);
    assert.deepEqual(c.health.endpoints, ['/health/live', '/health/ready']);
    assert.equal(c.health.timeout, 5000);
  });

  it('takes the seed document’s own nodes list as it is written there', function () {
    const c = parseClusterConfig({
      version: '1.0.0',
      name: 'selforchestrating',
      nodes: [
        { id: 'primary', type: 'primary', config: { role: 'coordinator', port: 8080 } },
        { id: 'replica-template', type: 'replica', config: { role: 'read-replica', replicateFrom: 'primary', port: 8081 } },
        { id: 'worker-template', type: 'worker', config: { role: 'processor', port: 8082 } },
      ],
      sync: { interval: 5000, conflictResolution: 'last-write-wins', targets: ['primary', 'replica-*'] },
      health: { interval: 30000, endpoints: ['/health/live', '/health/ready'], timeout: 5000 },
    });
    assert.equal(c.nodes[1].config.role, 'read-replica');
  });

  it('lets CONSUL_HTTP_ADDR override the file, with or without a scheme', function () {
    assert.equal(
      parseClusterConfig({ consul: { address: '10.0.0.1:8500' } }, { CONSUL_HTTP_ADDR: 'http://127.0.0.1:18500' }).consul.address,
      '127.0.0.1:18500',
    );
  });

  it('names the wrong field', function () {
    assert.equal(fieldOf({ name: 'Bad Name' }), 'name');
    assert.equal(fieldOf({ nodes: [] }), 'nodes');
    assert.equal(fieldOf({ nodes: [{ id: 'p', type: 'leader' }] }), 'nodes[0].type');
    assert.equal(fieldOf({ nodes: [{ type: 'worker' }] }), 'nodes[0].id');
    assert.equal(fieldOf({ nodes: [{ id: 'w', type: 'worker', config: { port: 70000 } }] }), 'nodes[0].config.port');
    assert.equal(fieldOf({ nodes: [{ id: 'p', type: 'primary', count: 2 }] }), 'nodes[0].count');
    assert.equal(
      fieldOf({
        nodes: [
          { id: 'a', type: 'worker' },
          { id: 'a', type: 'replica' },
        ],
      }),
      'nodes[1].id',
    );
    assert.equal(fieldOf({ sync: { interval: 'soon' } }), 'sync.interval');
    assert.equal(fieldOf({ sync: { conflictResolution: 'first-write-wins' } }), 'sync.conflictResolution');
    assert.equal(fieldOf({ health: { endpoints: ['/health/live', '/healthz'] } }), 'health.endpoints[1]');
    assert.equal(fieldOf({ health: { deregisterCriticalAfter: 1000 } }), 'health.deregisterCriticalAfter');
    assert.equal(fieldOf({ consul: { address: 'consul' } }), 'consul.address');
    assert.equal(fieldOf({}, { CONSUL_HTTP_ADDR: 'not an address' }), 'CONSUL_HTTP_ADDR');
    assert.equal(fieldOf([]), '(config)');
  });

  it('rejects a field it does not know, so a typo never falls back to a default silently', function () {
    assert.equal(fieldOf({ helth: {} }), 'helth');
    assert.equal(fieldOf({ health: { checkIntervall: 500 } }), 'health.checkIntervall');
    assert.equal(fieldOf({ nodes: [{ id: 'w', type: 'worker', config: { prot: 8082 } }] }), 'nodes[0].config.prot');
    assert.throws(() => parseClusterConfig({ orchestration: { nodes: [] } }), /orchestration is the seed's wrapper/);
  });

  it('checks node ids as the nodes will carry them, after counts expand', function () {
    const raw = {
      nodes: [
        { id: 'replica', type: 'replica', count: 2 },
        { id: 'replica-2', type: 'primary' },
      ],
    };
    assert.throws(() => parseClusterConfig(raw), /nodes\[1\]\.id declares node "replica-2", which nodes\[0\] declares already/);
  });

  it('names a worker or replica template of count 1 as it names the others: worker-1, not worker', function () {
    const c = parseClusterConfig({
      nodes: [
        { id: 'primary', type: 'primary' },
        { id: 'replica', type: 'replica' },
        { id: 'worker', type: 'worker' },
      ],
    });
    assert.deepEqual(declaredNodeIds(c), ['primary', 'replica-1', 'worker-1']);
  });

  it('accepts the seed’s replicateFrom only as the primary’s id, on a replica', function () {
    const nodes = (from: string) => [
      { id: 'primary', type: 'primary' },
      { id: 'replica', type: 'replica', config: { replicateFrom: from } },
    ];
    assert.equal(parseClusterConfig({ nodes: nodes('primary') }).nodes[1].config.replicateFrom, 'primary');
    assert.equal(fieldOf({ nodes: nodes('replica-1') }), 'nodes[1].config.replicateFrom');
  });

  it('waits for no replica when none is declared, and refuses more acks than replicas', function () {
    assert.equal(parseClusterConfig({ nodes: [{ id: 'primary', type: 'primary' }] }).sync.minAcks, 0);
    assert.throws(() => parseClusterConfig({ sync: { minAcks: 3 } }), /sync\.minAcks is 3, but the config declares only 2 replica\(s\)/);
  });

  it('gives the control plane its defaults, takes its token from the environment, and rejects a backoff that shrinks', function () {
    const c = parseClusterConfig({});
    assert.deepEqual(c.controlPlane, {
      port: 7070,
      httpPort: 8070,
      token: '',
      reconcileInterval: 500,
      failoverAfter: 1000,
      replaceUnreachableAfter: 5000,
      restartBackoffInitial: 200,
      restartBackoffMax: 10000,
      suspectAfter: 3000,
      startTimeout: 20000,
      decisionLogSize: 200,
    });
    assert.equal(parseClusterConfig({ controlPlane: { token: 'in-file' } }, { SHOAL_CONTROL_PLANE_TOKEN: 'from-env' }).controlPlane.token, 'from-env');
    assert.equal(parseClusterConfig({ controlPlane: { port: 0 } }).controlPlane.httpPort, 0);
    assert.equal(fieldOf({ controlPlane: { restartBackoffInitial: 5000, restartBackoffMax: 1000 } }), 'controlPlane.restartBackoffMax');
    assert.equal(fieldOf({ controlPlane: { suspectAfter: 10 } }), 'controlPlane.suspectAfter');
    assert.equal(fieldOf({ controlPlane: { leaderLock: true } }), 'controlPlane.leaderLock');
  });

  it('checks events and scaling as a whole: a handler timeout within its lease, a max not below the min', function () {
    assert.equal(fieldOf({ events: { leaseMs: 1000, handlerTimeout: 1000 } }), 'events.handlerTimeout');
    assert.equal(fieldOf({ events: { dedupeWindow: -1 } }), 'events.dedupeWindow');
    assert.equal(parseClusterConfig({}).events.dedupeWindow, 120_000);
    assert.equal(fieldOf({ scaling: { minWorkers: 3, maxWorkers: 2 } }), 'scaling.maxWorkers');
    assert.equal(fieldOf({ scaling: { scaleUpCpuPercent: 20, scaleDownCpuPercent: 30 } }), 'scaling.scaleDownCpuPercent');
    assert.equal(fieldOf({ scaling: { enabled: 'yes' } }), 'scaling.enabled');
    // The minimum follows the declared workers.
    assert.equal(
      parseClusterConfig({
        nodes: [
          { id: 'primary', type: 'primary' },
          { id: 'worker', type: 'worker', count: 3 },
        ],
      }).scaling.minWorkers,
      3,
    );
  });

  it('says which rule a field breaks', function () {
    assert.throws(
      () => parseClusterConfig({ health: { timeout: -1 } }),
      /invalid config: health\.timeout must be a whole number of milliseconds from 10 to 600000/,
    );
  });
});

describe('deploy/local/cluster.json', function () {
  it('is valid and declares the same cluster as the built-in defaults', function () {
    const file = loadClusterConfig(join(__dirname, '..', '..', 'deploy', 'local', 'cluster.json'), {});
    assert.deepEqual(file, parseClusterConfig({}, {}));
  });
});

describe('the config schema', function () {
  const warningsOf = (raw: unknown) => {
    const warnings: ConfigWarning[] = [];
    parseClusterConfig(raw, {}, (w) => warnings.push(w));
    return warnings;
  };

  it('warns of each key that is set and has no effect, and of none that is left out', function () {
    assert.deepEqual(warningsOf({}), []);
    assert.deepEqual(warningsOf({ sync: { targets: ['primary'], interval: 1000 } }), [
      { field: 'sync.targets', message: 'has no effect: the primary and the replicas always hold the state, whatever their ids' },
    ]);
    assert.deepEqual(
      warningsOf({ sync: { conflictResolution: 'last-write-wins' } }).map((w) => w.field),
      ['sync.conflictResolution'],
    );
  });

  it('ignores a top-level $schema and nothing else: an unknown key is refused with the known ones', function () {
    assert.deepEqual(parseClusterConfig({ $schema: '../cluster.schema.json' }), parseClusterConfig({}));
    assert.throws(
      () => parseClusterConfig({ sync: { $schema: 'x' } }),
      /invalid config: sync\.\$schema is not a known field \(known here: interval, conflictResolution, targets, minAcks/,
    );
    assert.throws(
      () => parseClusterConfig({ helth: {} }),
      /helth is not a known field \(known here: version, name, description, consul, nodes, sync, health, controlPlane, placement, events, scaling, dashboard, tls\)/,
    );
  });

  it('fills the defaults that depend on other fields, and keeps what is given', function () {
    const c = parseClusterConfig({
      nodes: [
        { id: 'primary', type: 'primary', config: { port: 9000 } },
        { id: 'w', type: 'worker', count: 8, config: { port: 0 } },
      ],
      controlPlane: { port: 7100 },
    });
    assert.deepEqual(
      c.nodes.map((n) => [n.config.role, n.config.httpPort]),
      [
        ['coordinator', 10000],
        ['processor', 0],
      ],
    );
    assert.equal(c.controlPlane.httpPort, 8100);
    assert.deepEqual([c.scaling.minWorkers, c.scaling.maxWorkers, c.sync.minAcks], [8, 8, 0]);
    assert.equal(parseClusterConfig({ scaling: { minWorkers: 1 } }).scaling.maxWorkers, 6);
    assert.equal(parseClusterConfig({ nodes: [{ id: 'p', type: 'primary', config: { httpPort: 1234 } }] }).nodes[0].config.httpPort, 1234);
  });

  it('names fields inside the nodes list and refuses a second primary', function () {
    assert.equal(fieldOf({ nodes: [{ id: 'a', type: 'worker' }, 'worker'] }), 'nodes[1]');
    assert.equal(fieldOf({ nodes: [{ id: 'a', type: 'worker', config: [] }] }), 'nodes[0].config');
    assert.equal(fieldOf({ nodes: [{ id: 'a', type: 'worker', colour: 'red' }] }), 'nodes[0].colour');
    assert.throws(
      () =>
        parseClusterConfig({
          nodes: [
            { id: 'a', type: 'primary' },
            { id: 'b', type: 'primary' },
          ],
        }),
      /invalid config: nodes must declare at most one primary template/,
    );
    assert.throws(() => parseClusterConfig({ nodes: [{ id: 'a', type: 'worker', count: 1.5 }] }), /nodes\[0\]\.count must be an integer from 0 to 100/);
  });

  it('takes CONSUL_HTTP_ADDR when the file has no address, and an empty token from the environment too', function () {
    assert.equal(parseClusterConfig({}, { CONSUL_HTTP_ADDR: '10.1.2.3:8500' }).consul.address, '10.1.2.3:8500');
    assert.equal(parseClusterConfig({ controlPlane: { token: 'in-file' } }, { SHOAL_CONTROL_PLANE_TOKEN: '' }).controlPlane.token, '');
    assert.equal(parseClusterConfig({ controlPlane: { token: 'in-file' } }).controlPlane.token, 'in-file');
  });

  it("takes the Consul ACL token in Consul's order: CONSUL_HTTP_TOKEN_FILE, CONSUL_HTTP_TOKEN, then the file's token or tokenFile", function () {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-token-'));
    try {
      writeFileSync(join(dir, 'acl.token'), 'from-the-file\n');
      writeFileSync(join(dir, 'empty.token'), '\n');
      const config = join(dir, 'cluster.json');
      writeFileSync(config, JSON.stringify({ consul: { tokenFile: 'acl.token' } }));
      assert.equal(loadClusterConfig(config, {}).consul.token, 'from-the-file', 'a relative tokenFile is the config directory’s');
      assert.equal(loadClusterConfig(config, { CONSUL_HTTP_TOKEN: 'from-env' }).consul.token, 'from-env');
      assert.equal(loadClusterConfig(undefined, { CONSUL_HTTP_TOKEN_FILE: join(dir, 'acl.token') }).consul.token, 'from-the-file');
      assert.equal(
        loadClusterConfig(undefined, { CONSUL_HTTP_TOKEN_FILE: join(dir, 'acl.token'), CONSUL_HTTP_TOKEN: 'from-env' }).consul.token,
        'from-the-file',
      );
      assert.equal(parseClusterConfig({ consul: { token: 'in-config' } }).consul.token, 'in-config');
      assert.equal(parseClusterConfig({}).consul.token, undefined);
      assert.equal(fieldOf({ consul: { token: 'a', tokenFile: 'b' } }), 'consul.tokenFile');
      assert.equal(fieldOf({ consul: { token: '' } }), 'consul.token');
      const refusal = (env: NodeJS.ProcessEnv, path = config) => {
        try {
          loadClusterConfig(path, env);
        } catch (err) {
          return err instanceof ConfigError ? err.field : String(err);
        }
        return 'accepted';
      };
      assert.equal(refusal({ CONSUL_HTTP_TOKEN_FILE: join(dir, 'missing.token') }), 'CONSUL_HTTP_TOKEN_FILE');
      writeFileSync(config, JSON.stringify({ consul: { tokenFile: 'empty.token' } }));
      assert.equal(refusal({}), 'consul.tokenFile');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes a dashboard token of 16 printable characters or more, from the file or SHOAL_DASHBOARD_TOKEN, and names neither value in a refusal', function () {
    const long = 'a-token-of-24-characters';
    assert.equal(parseClusterConfig({}).dashboard.token, '');
    assert.equal(parseClusterConfig({ dashboard: { token: long } }).dashboard.token, long);
    assert.equal(parseClusterConfig({ dashboard: { token: long } }, { SHOAL_DASHBOARD_TOKEN: `${long}-env` }).dashboard.token, `${long}-env`);
    for (const bad of ['short-secret', 'has a space in it, sixteen+', 'x'.repeat(513)]) {
      assert.throws(
        () => parseClusterConfig({ dashboard: { token: bad } }),
        (err: Error) => {
          assert.match(err.message, /^invalid config: dashboard\.token must be empty or 16 to 512 printable ASCII characters without spaces/);
          assert.ok(!err.message.includes(bad));
          return true;
        },
      );
      assert.throws(
        () => parseClusterConfig({}, { SHOAL_DASHBOARD_TOKEN: bad }),
        (err: Error) => {
          assert.match(err.message, /^invalid config: SHOAL_DASHBOARD_TOKEN must be empty or 16 to 512/);
          assert.ok(!err.message.includes(bad));
          return true;
        },
      );
    }
    assert.throws(() => parseClusterConfig({ dashboard: { tokn: long } }), /dashboard\.tokn is not a known field \(known here: token\)/);
  });
});

describe('scalingPolicyProblem', function () {
  const policy = parseClusterConfig({}).scaling;

  it('accepts the default policy, and fractional cpu thresholds as the contract sends them', function () {
    assert.equal(scalingPolicyProblem(policy), undefined);
    assert.equal(scalingPolicyProblem({ ...policy, scaleUpCpuPercent: 75.5, scaleDownCpuPercent: 12.5 }), undefined);
  });

  it('names the field with the same limits and rules as the config', function () {
    assert.deepEqual(scalingPolicyProblem({ ...policy, minWorkers: 3, maxWorkers: 2 }), { field: 'maxWorkers', problem: 'is 2, below minWorkers (3)' });
    assert.deepEqual(scalingPolicyProblem({ ...policy, maxWorkers: 101 }), { field: 'maxWorkers', problem: 'must be an integer from 0 to 100' });
    assert.deepEqual(scalingPolicyProblem({ ...policy, step: 0 }), { field: 'step', problem: 'must be an integer from 1 to 100' });
    assert.equal(scalingPolicyProblem({ ...policy, scaleUpCpuPercent: 30, scaleDownCpuPercent: 30 })?.field, 'scaleDownCpuPercent');
    assert.equal(scalingPolicyProblem({ ...policy, cooldownMs: 3_600_001 })?.field, 'cooldownMs');
  });
});
