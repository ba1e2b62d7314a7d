import { ReadConsistency } from '../../gen/shoal/v1/state';
import assert from 'node:assert/strict';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { casLeader, readLeader } from '../../common/cluster/leaderRecord';
import { unaryCall } from '../../common/client/grpcCall';
import { waitFor } from '../../common/time/waitFor';
import { EventsClient } from '../../common/client/EventsClient';
import { EventsClient as EventsGrpcClient, EventState, type PublishResponse } from '../../gen/shoal/v1/events';
import { HealthClient, type StreamStatusResponse } from '../../gen/shoal/v1/health';
import { NodeRole } from '../../gen/shoal/v1/node';
import { runCli } from '../support/runCli';
import { StateCluster } from '../support/stateCluster';

const PRIMARY = NodeRole.NODE_ROLE_PRIMARY;
const REPLICA = NodeRole.NODE_ROLE_REPLICA;

describe('switchover under continuous writes', function () {
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster: 'switch', sync: { minAcks: 1 } });
  });

  after(async function () {
    await c?.stop();
  });

  it('moves the primary to replica-1 with every acknowledged write on it, and the old primary serves as replica', async function () {
    const client = c.client({ deadlineMs: 10000 });
    // A second client that learned the old primary before the switchover and writes after it.
    const latecomer = c.client();
    await latecomer.put('latecomer/before', Buffer.from('1'));
    const acked: string[] = [];
    let running = true;
    let i = 0;
    const load = (async () => {
      while (running) {
        const key = `sw/${i++}`;
        try {
          await client.put(key, Buffer.from(key));
          acked.push(key);
        } catch {
          // An unacknowledged write proves nothing either way.
        }
      }
    })();
    try {
      await waitFor('writes flowing', () => acked.length >= 30, { timeoutMs: 10000 });
      const result = await runCli(['switchover', '--to', 'replica-1', '--cluster', 'switch'], { CONSUL_HTTP_ADDR: c.consul.address });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /Switched over: replica-1 is the primary \(term 2\), replacing primary\./);
      const afterSwitch = acked.length;
      await waitFor('writes acknowledged by the new primary', () => acked.length >= afterSwitch + 30, { timeoutMs: 15000 });
    } finally {
      running = false;
      await load;
      client.close();
    }
    await latecomer.put('latecomer/after', Buffer.from('2'));
    // Its cached primary now refuses writes: it follows that node's redirect (or asks Consul again).
    assert.equal(latecomer.primaryAddress, c.nodes.grpc('replica-1'), 'the latecomer found the new primary');
    latecomer.close();
    const { state } = c.node('replica-1');
    for (const key of acked) {
      const read = await unaryCall<{ found: boolean }>(
        (m, o, cb) => state.get({ key, minPosition: 0, consistency: ReadConsistency.READ_CONSISTENCY_DEFAULT }, m, o, cb),
        Date.now() + 5000,
      );
      assert.equal(read.found, true, `${key} was acknowledged, so the new primary has it`);
    }
    assert.equal((await c.position('replica-1')).role, PRIMARY);
    await waitFor(
      'the old primary to replicate from replica-1',
      async () => {
        const p = await c.position('primary');
        return p.role === REPLICA && p.primaryId === 'replica-1' && p.term === 2;
      },
      { timeoutMs: 10000 },
    );
    const roleTags = async () => Object.fromEntries((await c.consul.api.healthService('shoal-switch')).value.map((e) => [e.Service.ID, e.Service.Tags?.[0]]));
    await waitFor(
      'Consul tags to follow the roles',
      async () => {
        const tags = await roleTags();
        return tags['replica-1'] === 'primary' && tags.primary === 'replica';
      },
      { timeoutMs: 10000, describe: async () => JSON.stringify(await roleTags()) },
    );
  });

  it('refuses to switch over to a node that is not a replica of the cluster, changing nothing', async function () {
    const before = await readLeader(c.consul.api, 'switch');
    const result = await runCli(['switchover', '--to', 'replica-9', '--cluster', 'switch'], { CONSUL_HTTP_ADDR: c.consul.address });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /switchover refused: no replica "replica-9"/);
    assert.deepEqual((await readLeader(c.consul.api, 'switch')).record, before.record);
  });
});

describe('fencing a paused primary', function () {
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster: 'fence', sync: { minAcks: 1 } });
  });

  after(async function () {
    c?.nodes.node('primary').signal('SIGCONT');
    await c?.stop();
  });

  it('gets no write acknowledged by a SIGSTOPped primary after a replica is promoted with a new term, and it steps down', async function () {
    const put = (node: string, key: string) => {
      const { state } = c.node(node);
      return unaryCall<{ result?: { term: number } }>((m, o, cb) => state.put({ key, value: Buffer.from(key) }, m, o, cb), Date.now() + 3000);
    };
    await put('primary', 'before-pause');
    c.nodes.node('primary').signal('SIGSTOP');
    const failover = await runCli(['failover', '--to', 'replica-1', '--cluster', 'fence', '--timeout', '10000'], { CONSUL_HTTP_ADDR: c.consul.address });
    assert.equal(failover.code, 0, failover.stdout + failover.stderr);
    assert.equal((await put('replica-1', 'on-new-primary')).result!.term, 2);

    // The old primary resumes with clients still sending it writes.
    const attempts = [1, 2, 3, 4, 5].map((n) =>
      put('primary', `to-old-primary/${n}`).then(
        () => 'acknowledged',
        (err: ServiceError) => err,
      ),
    );
    c.nodes.node('primary').signal('SIGCONT');
    const outcomes = await Promise.all(attempts);
    for (const outcome of outcomes) {
      assert.notEqual(outcome, 'acknowledged');
      assert.ok([status.UNAVAILABLE, status.FAILED_PRECONDITION].includes((outcome as ServiceError).code), (outcome as ServiceError).details);
    }
    await waitFor(
      'the old primary to step down and follow replica-1',
      async () => {
        const p = await c.position('primary');
        return p.role === REPLICA && p.term === 2 && p.primaryId === 'replica-1';
      },
      { timeoutMs: 15000 },
    );
    const { state } = c.node('primary');
    await waitFor(
      'the old primary to hold the new primary’s writes',
      async () => {
        const r = await unaryCall<{ found: boolean }>(
          (m, o, cb) => state.get({ key: 'on-new-primary', minPosition: 0, consistency: ReadConsistency.READ_CONSISTENCY_STALE }, m, o, cb),
          Date.now() + 5000,
        );
        return r.found;
      },
      { timeoutMs: 10000 },
    );
  });

  it('refuses a failover that could lose an acknowledged write (a replica does not answer), unless forced', async function () {
    await c.nodes.node('replica-2').kill();
    const env = { CONSUL_HTTP_ADDR: c.consul.address };
    const before = await readLeader(c.consul.api, 'fence');
    const refused = await runCli(['failover', '--cluster', 'fence', '--timeout', '10000'], env);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /failover refused: only 1 of 2 replicas answered; with minAcks 1 at least 2 must/);
    assert.equal((await readLeader(c.consul.api, 'fence')).record?.primaryId, before.record?.primaryId, 'nothing changed');
    const forced = await runCli(['failover', '--force', '--cluster', 'fence', '--timeout', '10000'], env);
    assert.equal(forced.code, 0, forced.stdout + forced.stderr);
    // Whoever is primary now (replica-1 after the test before, primary when this test runs
    // alone), the one state node left answering takes over in the next term.
    const { primaryId, term } = before.record!;
    const successor = primaryId === 'primary' ? 'replica-1' : 'primary';
    assert.match(forced.stdout, new RegExp(`Failed over: ${successor} is the primary \\(term ${term + 1}\\), replacing ${primaryId}\\.`));
  });
});

describe('an old primary rejoining with writes nobody else has (minAcks 0, the lossy mode)', function () {
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster: 'recon', sync: { minAcks: 0 } });
  });

  after(async function () {
    c?.nodes.node('primary').signal('SIGCONT');
    await c?.stop();
  });

  const put = async (node: string, key: string, value: string) => {
    const { state } = c.node(node);
    return (await unaryCall<{ result?: { position: number } }>((m, o, cb) => state.put({ key, value: Buffer.from(value) }, m, o, cb), Date.now() + 3000))
      .result!.position;
  };
  const read = async (node: string, key: string, minPosition = 0) => {
    const { state } = c.node(node);
    const r = await unaryCall<{ found: boolean; value: Buffer }>(
      (m, o, cb) => state.get({ key, minPosition, consistency: ReadConsistency.READ_CONSISTENCY_STALE }, m, o, cb),
      Date.now() + 5000,
    );
    return r.found ? Buffer.from(r.value).toString() : undefined;
  };

  it('reconciles them into the new primary: causally newer ones apply, concurrent ones resolve last-write-wins and are recorded', async function () {
    const base = await put('primary', 'contested', 'base');
    for (const r of ['replica-1', 'replica-2']) assert.equal(await read(r, 'contested', base), 'base');

    // Fence the replicas with term 2, as a failover does first: they stop applying term 1.
    await Promise.all(['replica-1', 'replica-2'].map((r) => c.position(r, 2)));
    await waitFor('the primary to lose its replicas', async () => (await c.metric('primary', 'shoal_replication_connected_replicas')) === 0, {
      timeoutMs: 10000,
    });
    // Acknowledged at once in this mode, but nobody else will ever receive them from it.
    await put('primary', 'contested', 'from-old-primary');
    await put('primary', 'only-on-old', 'kept');

    c.nodes.node('primary').signal('SIGSTOP');
    const read1 = await readLeader(c.consul.api, 'recon');
    assert.ok(
      await casLeader(c.consul.api, 'recon', read1, {
        term: 2,
        primaryId: 'replica-1',
        primaryAddress: c.nodes.grpc('replica-1'),
        changedAtMs: Date.now(),
        reason: 'test failover',
      }),
    );
    const { sync } = c.node('replica-1');
    await unaryCall((m, o, cb) => sync.promote({ term: 2, incarnation: '' }, m, o, cb), Date.now() + 5000);
    await put('replica-1', 'contested', 'from-new-primary');
    c.nodes.node('primary').signal('SIGCONT');

    await waitFor(
      'the old primary to rejoin as a replica of replica-1',
      async () => {
        const p = await c.position('primary');
        return p.role === REPLICA && p.primaryId === 'replica-1';
      },
      { timeoutMs: 15000 },
    );
    await waitFor('the old primary’s unique write to reach the new primary', async () => (await read('replica-1', 'only-on-old')) === 'kept', {
      timeoutMs: 10000,
    });
    const settled = (await c.position('replica-1')).position;
    for (const node of ['replica-1', 'replica-2', 'primary']) {
      assert.equal(await read(node, 'contested', settled), 'from-new-primary', `${node}: the later concurrent write wins`);
      assert.equal(await read(node, 'only-on-old', settled), 'kept', `${node}: the causally newer write applies`);
    }
    const { conflicts } = await unaryCall<{ conflicts: { key: string; winner?: { value: Buffer }; loser?: { value: Buffer }; reason: string }[] }>(
      (m, o, cb) => sync.listConflicts({ limit: 10 }, m, o, cb),
      Date.now() + 5000,
    );
    assert.equal(conflicts.length, 1);
    assert.equal(conflicts[0].key, 'contested');
    assert.equal(Buffer.from(conflicts[0].winner!.value).toString(), 'from-new-primary');
    assert.equal(Buffer.from(conflicts[0].loser!.value).toString(), 'from-old-primary');
    assert.match(conflicts[0].reason, /concurrent versions; last-write-wins/);
    assert.equal(await c.metric('replica-1', 'shoal_state_conflicts_resolved_total'), 1);
    // The status stream counts it too (the dashboard fetches the conflicts when the count grows).
    const health = new HealthClient(c.node('replica-1').address, credentials.createInsecure());
    const sample = await new Promise<StreamStatusResponse>((resolve, reject) => {
      const call = health.streamStatus({ periodMs: 100 });
      call.once('data', (s: StreamStatusResponse) => {
        call.cancel();
        resolve(s);
      });
      call.once('error', (err: ServiceError) => err.code !== status.CANCELLED && reject(err));
    });
    health.close();
    assert.equal(sample.conflictsResolved, 1);
  });

  it('delivers an event only the old primary had, once reconciled into a new primary already serving events', async function () {
    // After the test above, replica-1 is the primary (term 2); fence its replicas with term 3.
    await Promise.all(['primary', 'replica-2'].map((r) => c.position(r, 3)));
    await waitFor('replica-1 to lose its replicas', async () => (await c.metric('replica-1', 'shoal_replication_connected_replicas')) === 0, {
      timeoutMs: 10000,
    });
    const old = new EventsGrpcClient(c.nodes.grpc('replica-1'), credentials.createInsecure());
    const published = await unaryCall<PublishResponse>(
      (m, o, cb) => old.publish({ type: 'hash', key: '', payload: Buffer.from('only on the old primary'), idempotencyKey: 'stranded' }, m, o, cb),
      Date.now() + 3000,
    );
    old.close();

    const events = new EventsClient({ consul: c.consul.api, cluster: 'recon' });
    try {
      c.nodes.node('replica-1').signal('SIGSTOP');
      try {
        const read2 = await readLeader(c.consul.api, 'recon');
        assert.ok(
          await casLeader(c.consul.api, 'recon', read2, {
            term: 3,
            primaryId: 'replica-2',
            primaryAddress: c.nodes.grpc('replica-2'),
            changedAtMs: Date.now(),
            reason: 'test failover',
          }),
        );
        await unaryCall((m, o, cb) => c.node('replica-2').sync.promote({ term: 3, incarnation: '' }, m, o, cb), Date.now() + 5000);
        // The new primary builds its queue now, before the old one can hand its entries over.
        assert.equal((await events.backlog()).pending, 0);
      } finally {
        c.nodes.node('replica-1').signal('SIGCONT');
      }
      await waitFor('the stranded event in the new primary’s queue', async () => (await events.backlog()).pending === 1, { timeoutMs: 15000, intervalMs: 100 });
      const [leased] = await events.lease('w', 10, 0);
      assert.equal(leased.event!.id, published.eventId);
      assert.equal(Buffer.from(leased.event!.payload).toString(), 'only on the old primary');
    } finally {
      events.close();
    }
  });

  it('does not bring back an event the new primary finished, from what the old primary wrote of it meanwhile', async function () {
    // After the tests above, replica-2 is the primary (term 3).
    const onOld = new EventsClient({ consul: c.consul.api, cluster: 'recon' });
    const onNew = new EventsClient({ consul: c.consul.api, cluster: 'recon' });
    try {
      const published = await onOld.publish({ type: 'hash', payload: Buffer.from('finished on the new primary') });
      await waitFor('the event on replica-1', async () => (await c.position('replica-1')).position >= published.position, { timeoutMs: 10000 });
      const [leased] = (await onOld.lease('w3', 10, 0)).filter((l) => l.event!.id === published.eventId);
      assert.ok(leased, 'leased on the old primary');
      await Promise.all(['primary', 'replica-1'].map((r) => c.position(r, 4)));
      await waitFor('replica-2 to lose its replicas', async () => (await c.metric('replica-2', 'shoal_replication_connected_replicas')) === 0, {
        timeoutMs: 10000,
      });
      // A failed delivery: the old primary writes the event again, and no replica gets it.
      const [failed] = await onOld.ackBatch([
        {
          workerId: 'w3',
          eventId: leased.event!.id,
          leaseId: leased.leaseId,
          success: false,
          result: Buffer.alloc(0),
          error: 'try again',
          permanent: false,
          traceparent: '',
        },
      ]);
      assert.equal(failed.state, EventState.EVENT_STATE_PENDING);

      c.nodes.node('replica-2').signal('SIGSTOP');
      try {
        const read3 = await readLeader(c.consul.api, 'recon');
        assert.ok(
          await casLeader(c.consul.api, 'recon', read3, {
            term: 4,
            primaryId: 'replica-1',
            primaryAddress: c.nodes.grpc('replica-1'),
            changedAtMs: Date.now(),
            reason: 'test failover',
          }),
        );
        await unaryCall((m, o, cb) => c.node('replica-1').sync.promote({ term: 4, incarnation: '' }, m, o, cb), Date.now() + 5000);
        // The new primary delivers the event again, and it is done: removed.
        const again = (await onNew.lease('w4', 10, 0)).find((l) => l.event!.id === published.eventId);
        assert.ok(again, 'delivered again by the new primary');
        const [done] = await onNew.ackBatch([
          {
            workerId: 'w4',
            eventId: again.event!.id,
            leaseId: again.leaseId,
            success: true,
            result: Buffer.alloc(0),
            error: '',
            permanent: false,
            traceparent: '',
          },
        ]);
        assert.equal(done.state, EventState.EVENT_STATE_DONE);
      } finally {
        c.nodes.node('replica-2').signal('SIGCONT');
      }
      const settled = (await c.position('replica-1')).position;
      await waitFor(
        'the old primary reconciled and caught up from a snapshot',
        async () => {
          const p = await c.position('replica-2');
          return (
            p.role === REPLICA && p.primaryId === 'replica-1' && p.position >= settled && (await c.metric('replica-2', 'shoal_state_log_retained_from')) > 1
          );
        },
        { timeoutMs: 15000 },
      );
      const backlog = await onNew.backlog();
      assert.equal(backlog.pending, 0, 'nothing brought back to deliver');
      assert.deepEqual(
        (await onNew.lease('w5', 10, 0)).map((l) => l.event!.id),
        [],
      );
    } finally {
      onOld.close();
      onNew.close();
    }
  });
});
