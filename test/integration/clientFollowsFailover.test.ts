import assert from 'node:assert/strict';
import { failover, switchover } from '../../common/cluster/changePrimary';
import { readLeader } from '../../common/cluster/leaderRecord';
import type { StateClient } from '../../common/client/StateClient';
import { waitFor } from '../../common/time/waitFor';
import { StateCluster } from '../support/stateCluster';

const CLUSTER = `follows-${process.pid}`;

describe('clients find the new primary', function () {
  this.timeout(90_000);
  let c: StateCluster;
  const clients: StateClient[] = [];
  let stopped: number | undefined;

  before(async function () {
    c = await StateCluster.start({ cluster: CLUSTER, replicas: 2 });
  });

  after(async function () {
    if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
    for (const client of clients) client.close();
    await c?.stop();
  });

  it('a call whose cached primary stops answering (no socket closed) is answered by the new primary within its deadline', async function () {
    const client = c.client({ deadlineMs: 10_000 });
    clients.push(client);
    await client.put('before', Buffer.from('1'));
    const old = (await readLeader(c.consul.api, CLUSTER)).record!;
    assert.equal(client.primaryAddress, old.primaryAddress);

    // SIGSTOP: the process keeps its sockets open and answers nothing, as a host that vanished.
    stopped = c.nodes.node('primary').pid;
    process.kill(stopped, 'SIGSTOP');
    const started = Date.now();
    const write = client.put('after', Buffer.from('2'));
    // The failover tells the old primary to follow too, which cannot answer: not awaited.
    const moving = failover({ consul: c.consul.api, cluster: CLUSTER, force: true, timeoutMs: 8000 }).catch((err: Error) => err);
    const result = await write;
    assert.ok(Date.now() - started < 10_000);
    const now = (await readLeader(c.consul.api, CLUSTER)).record!;
    assert.notEqual(now.primaryId, old.primaryId);
    assert.equal(client.primaryAddress, now.primaryAddress);
    assert.ok(result.version > 0);
    const read = await client.get('after');
    assert.equal(Buffer.from(read.value).toString(), '2');

    process.kill(stopped, 'SIGCONT');
    stopped = undefined;
    await moving;
  });

  it('a compare-and-set left for a new primary fails saying its outcome is unknown', async function () {
    const client = c.client({ deadlineMs: 10_000 });
    clients.push(client);
    await client.put('cas', Buffer.from('1'));
    const current = (await readLeader(c.consul.api, CLUSTER)).record!;
    const replicas = ['primary', 'replica-1', 'replica-2'].filter((id) => id !== current.primaryId);
    await waitFor(
      'every other node to follow the current primary',
      async () => (await c.metric(current.primaryId, 'shoal_replication_connected_replicas')) === 2,
      {
        timeoutMs: 20_000,
      },
    );
    stopped = c.nodes.node(current.primaryId).pid;
    process.kill(stopped, 'SIGSTOP');
    const cas = client.put('cas', Buffer.from('2'), { expectedVersion: 1 }).then(
      () => undefined,
      (err: Error) => err,
    );
    const moving = failover({ consul: c.consul.api, cluster: CLUSTER, force: true, timeoutMs: 8000, stateNodeIds: replicas }).catch((err: Error) => err);
    const err = await cas;
    assert.ok(err, 'the compare-and-set must not report success');
    assert.match(err.message, /outcome unknown/);
    process.kill(stopped, 'SIGCONT');
    stopped = undefined;
    await moving;
  });

  it('a client that follows the leader record switches within a second of its change, without a call', async function () {
    const client = c.client();
    clients.push(client);
    client.followLeader();
    await client.get('before');
    const current = (await readLeader(c.consul.api, CLUSTER)).record!;
    await waitFor(
      'every other node to follow the current primary',
      async () => (await c.metric(current.primaryId, 'shoal_replication_connected_replicas')) === 2,
      {
        timeoutMs: 20_000,
      },
    );
    const to = ['primary', 'replica-1', 'replica-2'].find((id) => id !== current.primaryId)!;
    const moving = switchover({ consul: c.consul.api, cluster: CLUSTER }, to);
    const next = await waitFor(
      'the leader record to name another primary',
      async () => {
        const { record } = await readLeader(c.consul.api, CLUSTER);
        return record && record.primaryId !== current.primaryId && record;
      },
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    await waitFor('the following client to switch to the new primary', () => client.primaryAddress === next.primaryAddress, {
      timeoutMs: 3000,
      intervalMs: 20,
    });
    await moving;
  });
});
