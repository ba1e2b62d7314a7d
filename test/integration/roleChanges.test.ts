import assert from 'node:assert/strict';
import { type ServiceError, status } from '@grpc/grpc-js';
import { failover, PrimaryChangeError, switchover } from '../../common/cluster/changePrimary';
import { publishTopology, readTopology, topologyKey, topologyOf } from '../../common/cluster/declaredTopology';
import { readLeader } from '../../common/cluster/leaderRecord';
import { ReadConsistency } from '../../gen/shoal/v1/state';
import { unaryCall } from '../../common/client/grpcCall';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';
import { waitFor } from '../../common/time/waitFor';
import { runCli } from '../support/runCli';
import { ControlPlaneCluster } from '../support/controlPlaneCluster';
import { StateCluster } from '../support/stateCluster';

// Every role change counts the declared state nodes, whoever makes it (issue 15).

/** Publishes the cluster's declared topology as its control-plane leader does. */
async function publishDeclared(c: StateCluster): Promise<void> {
  await publishTopology(c.consul.api, topologyOf(loadClusterConfig(c.configPath, {}), 'control-plane-test'));
}

function put(c: StateCluster, node: string, key: string, deadlineMs = 3000) {
  const { state } = c.node(node);
  return unaryCall<{ result?: { term: number } }>((m, o, cb) => state.put({ key, value: Buffer.from(key) }, m, o, cb), Date.now() + deadlineMs);
}

describe('the declared topology in Consul', function () {
  let c: ControlPlaneCluster;

  before(async function () {
    c = await ControlPlaneCluster.start({ cluster: 'topo', controlPlanes: 1, workers: 0 });
  });

  after(async function () {
    await c?.stop();
  });

  it('is published by the control-plane leader: the state nodes the config declares and its minAcks', async function () {
    await c.ready();
    const leader = await c.leader();
    const topology = await waitFor('the topology in Consul', () => readTopology(c.consul.api, 'topo'), { timeoutMs: 15_000 });
    assert.deepEqual(
      { primaryId: topology.primaryId, replicaIds: topology.replicaIds, minAcks: topology.minAcks, writtenBy: topology.writtenBy },
      { primaryId: 'primary', replicaIds: ['replica-1', 'replica-2'], minAcks: 1, writtenBy: leader?.id },
    );
  });
});

describe('failover with minAcks 0 (asynchronous, the lossy mode)', function () {
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster: 'async0', sync: { minAcks: 0 } });
    await publishDeclared(c);
  });

  after(async function () {
    await c?.stop();
  });

  it('promotes a replica when the primary is killed, even with only one replica answering', async function () {
    await put(c, 'primary', 'before');
    await c.nodes.node('primary').kill();
    await c.nodes.node('replica-2').kill();
    const result = await runCli(['failover', '--cluster', 'async0', '--timeout', '10000'], { CONSUL_HTTP_ADDR: c.consul.address });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /declared state nodes primary, replica-1, replica-2 \(minAcks 0\), published by control-plane-test/);
    assert.match(result.stdout, /Failed over: replica-1 is the primary \(term 2\), replacing primary\./);
    assert.equal((await put(c, 'replica-1', 'after')).result?.term, 2);
  });
});

describe('a CLI failover when Consul dropped a declared replica', function () {
  let c: StateCluster;
  const env = () => ({ CONSUL_HTTP_ADDR: c.consul.address });

  before(async function () {
    c = await StateCluster.start({ cluster: 'dropped', sync: { minAcks: 1 } });
    // The primary is gone, and replica-2 stopped and was deregistered, as Consul does after
    // deregisterCriticalAfter: Consul lists replica-1 alone.
    await c.nodes.node('primary').kill();
    await c.nodes.node('replica-2').kill();
    await c.consul.api.deregisterService('replica-2');
  });

  after(async function () {
    await c?.stop();
  });

  it('counts the replicas an explicit --config declares when no topology is published, and refuses naming the missing one', async function () {
    assert.equal(await readTopology(c.consul.api, 'dropped'), undefined);
    const result = await runCli(['failover', '--cluster', 'dropped', '--config', c.configPath, '--timeout', '10000'], env());
    assert.equal(result.code, 1, result.stdout);
    assert.match(
      result.stdout,
      new RegExp(
        `no declared topology in Consul \\(${topologyKey('dropped')}; .*\\): counting the state nodes --config declares, primary, replica-1, replica-2 \\(minAcks 1\\)`,
      ),
    );
    assert.match(
      result.stderr,
      /failover refused: only 1 of 2 replicas answered; with minAcks 1 at least 2 must, or an acknowledged write could be lost \(not reached: replica-2\)/,
    );
    assert.equal((await readLeader(c.consul.api, 'dropped')).record?.primaryId, 'primary', 'nothing changed');
  });

  it('refuses from the published topology, without --config, naming the replica it could not reach', async function () {
    await publishDeclared(c);
    const result = await runCli(['failover', '--cluster', 'dropped', '--timeout', '10000'], env());
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /declared state nodes primary, replica-1, replica-2 \(minAcks 1\), published by control-plane-test/);
    assert.match(result.stderr, /failover refused: only 1 of 2 replicas answered; .*\(not reached: replica-2\) \(--force to promote anyway\)/);
    assert.equal((await c.position('replica-1')).term, 1, 'the replica that answered was not given the new term');
  });

  it('goes ahead with --force, saying what it risks', async function () {
    await publishDeclared(c);
    const result = await runCli(['failover', '--force', '--cluster', 'dropped', '--timeout', '10000'], env());
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      /warning: forced failover: going ahead without replica-2: writes acknowledged by them \(sync\.minAcks 1\) and not on a replica that answered are lost/,
    );
    assert.match(result.stdout, /Failed over: replica-1 is the primary \(term 2\), replacing primary\./);
  });
});

describe('a switchover that cannot get its quorum to take the new term', function () {
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster: 'abort', sync: { minAcks: 1 } });
  });

  after(async function () {
    c?.nodes.node('replica-2').signal('SIGCONT');
    await c?.stop();
  });

  it('aborts, lifts the old primary’s fence at once, and the primary takes writes again in its term', async function () {
    await put(c, 'primary', 'before');
    const before = await readLeader(c.consul.api, 'abort');
    // replica-2 answers the first round, then stops before the term step.
    const progress: string[] = [];
    const attempt = switchover(
      {
        consul: c.consul.api,
        cluster: 'abort',
        minAcks: 1,
        stateNodeIds: ['primary', 'replica-1', 'replica-2'],
        timeoutMs: 15_000,
        progress: (line) => {
          progress.push(line);
          if (line.startsWith('fenced primary')) c.nodes.node('replica-2').signal('SIGSTOP');
        },
      },
      'replica-1',
    );
    await assert.rejects(attempt, (err: Error) => {
      assert.ok(err instanceof PrimaryChangeError, err.message);
      assert.match(err.message, /only 1 of 2 replicas took term 2; with minAcks 1 at least 2 must, .*\(not reached: replica-2\)/);
      assert.match(err.message, /replica-1 hold term 2 now/);
      assert.match(err.message, /aborted: nothing changed in Consul, the fence of primary is lifted and it takes writes again in term 1/);
      return true;
    });
    assert.ok(progress.includes('lifted the fence of primary'), progress.join('\n'));
    assert.deepEqual((await readLeader(c.consul.api, 'abort')).record, before.record, 'the leader record did not move');
    // The fence would last 20 s; lifted, the primary writes as soon as a replica of its term acknowledges.
    c.nodes.node('replica-2').signal('SIGCONT');
    await waitFor(
      'a write acknowledged by the primary in term 1',
      async () => (await put(c, 'primary', 'after-abort').catch(() => undefined))?.result?.term === 1,
      { timeoutMs: 8000 },
    );
  });
});

describe('a fenced primary whose fence runs out', function () {
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster: 'expiry', sync: { minAcks: 1 } });
  });

  after(async function () {
    await c?.stop();
  });

  it('refuses writes while fenced, saying nothing was written, and takes them again once it has confirmed it is still the primary', async function () {
    const { sync } = c.node('primary');
    await unaryCall((m, o, cb) => sync.fence({ timeoutMs: 1000, term: 1, lift: false }, m, o, cb), Date.now() + 3000);
    const refused = await put(c, 'primary', 'while-fenced').then(
      () => undefined,
      (err: ServiceError) => err,
    );
    assert.ok(refused, 'a write was acknowledged while fenced');
    assert.equal(refused.code, status.UNAVAILABLE);
    assert.equal(refused.metadata.get('shoal-written')[0], 'false');
    assert.match(refused.details, /fenced for a switchover/);
    await waitFor('a write acknowledged after the fence', async () => (await put(c, 'primary', 'after-fence').catch(() => undefined))?.result?.term === 1, {
      timeoutMs: 10_000,
    });
    const r = await unaryCall<{ found: boolean }>(
      (m, o, cb) => c.node('primary').state.get({ key: 'while-fenced', minPosition: 0, consistency: ReadConsistency.READ_CONSISTENCY_DEFAULT }, m, o, cb),
      Date.now() + 3000,
    );
    assert.equal(r.found, false, 'the refused write was not written');
  });

  it('refuses a fence of a term that is not its own, and a lift without a fence is a no-op that says it writes', async function () {
    const { sync } = c.node('primary');
    await assert.rejects(
      unaryCall((m, o, cb) => sync.fence({ timeoutMs: 1000, term: 7, lift: false }, m, o, cb), Date.now() + 3000),
      (err: ServiceError) => err.code === status.FAILED_PRECONDITION && /term 7 is not this primary's term 1/.test(err.details),
    );
    const lifted = await unaryCall<{ writing: boolean }>((m, o, cb) => sync.fence({ timeoutMs: 0, term: 1, lift: true }, m, o, cb), Date.now() + 3000);
    assert.equal(lifted.writing, true);
  });
});

describe('a far newer term pushed at a node by a peer', function () {
  const cluster = `far-term-${process.pid}`;
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster, sync: { minAcks: 1 } });
  });

  after(async function () {
    await c?.stop();
  });

  it('is refused FAILED_PRECONDITION naming the leader record’s term, and the next failover takes the term after the record’s', async function () {
    const before = (await readLeader(c.consul.api, cluster)).record!;
    for (const id of ['primary', 'replica-1']) {
      const err = await c.position(id, 2 ** 52).then(
        () => assert.fail(`${id} took the far term`),
        (e: ServiceError) => e,
      );
      assert.equal(err.code, status.FAILED_PRECONDITION, id);
      assert.match(
        err.details,
        new RegExp(`^term 4503599627370496 \\(GetPosition\\) is beyond what Consul's leader record justifies: it is at term ${before.term}`),
      );
      assert.equal((await c.position(id)).term, before.term, `${id} keeps its term`);
    }
    assert.equal((await put(c, 'primary', 'still-writing')).result?.term, before.term, 'the primary still takes writes');

    await c.nodes.node('primary').kill();
    const change = await failover({ consul: c.consul.api, cluster, stateNodeIds: ['primary', 'replica-1', 'replica-2'], timeoutMs: 15_000 });
    assert.equal(change.term, before.term + 1);
  });
});
