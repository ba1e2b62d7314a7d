import { strict as assert } from 'node:assert';
import { PrimaryChangeError, switchover } from '../../common/cluster/changePrimary';
import { readTopology, stateNodeIdsOf } from '../../common/cluster/declaredTopology';
import { waitFor } from '../../common/time/waitFor';
import { namespacePids } from '../../lab/ip';
import { consulServers } from '../../lab/layout';
import { AckedWriter, type LabCluster, useLabCluster } from '../support/labCluster';

/** The declared state nodes (from the topology the control plane publishes), each with its host now. */
async function stateNodes(cluster: LabCluster): Promise<{ id: string; host: string }[]> {
  const topology = await readTopology(cluster.consul, cluster.cluster);
  if (!topology) throw new Error('no declared topology in Consul');
  return Promise.all(stateNodeIdsOf(topology).map(async (id) => ({ id, host: await cluster.hostOf(id) })));
}

// Scenarios 4 and 5 of issue 15: role changes asked for while the cluster is partitioned.
describe('lab: role changes during a partition (root)', function () {
  this.timeout(300_000);
  const lab = useLabCluster();

  it('the primary and replica-2 cut off from the rest: no failover by the control plane (replica-2 still hears the primary); `shoal failover` on the other side is refused naming replica-2; --force promotes and says what it risks', async () => {
    const before = await lab.cluster.settled();
    const nodes = await stateNodes(lab.cluster);
    const primaryHost = nodes.find((n) => n.id === before.primaryId)!.host;
    const servers = consulServers(lab.layout).map((h) => h.name);
    // The far side: the primary and the replica on a Consul server's host (h3), so Consul keeps
    // its majority (h4, h5) on the near side with the other replica and the control planes.
    const partner = nodes.find((n) => n.id !== before.primaryId && servers.includes(n.host) && n.host !== primaryHost);
    const near = nodes.find((n) => n.id !== before.primaryId && n !== partner);
    assert.ok(partner && near, `a replica on a Consul server's host and one elsewhere (state nodes: ${JSON.stringify(nodes)})`);
    const nearHosts = lab.layout.hosts.map((h) => h.name).filter((h) => h !== primaryHost && h !== partner.host);

    const state = lab.cluster.stateClient(15_000);
    const writer = new AckedWriter(state, `lab/partition-failover/${Date.now()}`).start();
    try {
      await writer.acknowledgedAfter(0, 5);
      const cutAt = Date.now();
      await lab.cut(primaryHost, nearHosts.join(','));
      await lab.cut(partner.host, nearHosts.join(','));
      // The control plane loses the primary too, but replica-2 still hears it: no failover. Five
      // times controlPlane.failoverAfter, watched (the point is that nothing happens).
      const failovers = await lab.cluster.failoversDuring(cutAt, 5000);
      assert.deepEqual(failovers, [], 'the control plane did not fail over: a replica still hears the primary');
      assert.equal((await lab.cluster.leader()).term, before.term, 'the control plane did not fail over without its quorum');

      const refused = await lab.cliIn(near.host, ['failover', '--cluster', lab.cluster.cluster, '--timeout', '10000']);
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stdout, /declared state nodes primary, replica-1, replica-2 \(minAcks 1\), published by control-plane-\d/, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(`failover refused: only 1 of 2 replicas answered; .*\\(not reached: ${partner.id}\\) \\(--force to promote anyway\\)`),
      );
      assert.equal((await lab.cluster.leader()).term, before.term, 'a refused failover changes nothing');

      const forced = await lab.cliIn(near.host, ['failover', '--force', '--cluster', lab.cluster.cluster, '--timeout', '10000']);
      assert.equal(forced.code, 0, forced.stdout + forced.stderr);
      assert.match(
        forced.stderr,
        new RegExp(
          `warning: forced failover: going ahead without ${partner.id}: writes acknowledged by them \\(sync\\.minAcks 1\\) and not on a replica that answered are lost`,
        ),
      );
      assert.match(forced.stdout, new RegExp(`Failed over: ${near.id} is the primary \\(term ${before.term + 1}\\), replacing ${before.primaryId}\\.`));

      await lab.heal();
      const after = await lab.cluster.settled(120_000);
      assert.equal(after.primaryId, near.id);
      await writer.acknowledgedAfter(Date.now(), 5, 30_000, `writes acknowledged by ${near.id} after the heal`);
      assert.deepEqual(await lab.cluster.duplicates(), [], 'no node runs twice');
      await writer.stop();
      assert.deepEqual(await writer.check(), []);
    } finally {
      await writer.stop();
      state.close();
    }
  });

  it('a switchover whose primary hangs between the fence and the leader record, then is cut off: no acknowledged write lost, one primary after the heal, none in the old term past the fence', async () => {
    const before = await lab.cluster.settled();
    const nodes = await stateNodes(lab.cluster);
    const primaryHost = nodes.find((n) => n.id === before.primaryId)!.host;
    const target = nodes.find((n) => n.id !== before.primaryId)!;
    const topology = (await readTopology(lab.cluster.consul, lab.cluster.cluster))!;
    // Stopped from inside the switchover's progress callback, which cannot wait: the pids are found first.
    const pids = await namespacePids(lab.host(primaryHost).namespace);

    const state = lab.cluster.stateClient(15_000);
    const writer = new AckedWriter(state, `lab/partition-switchover/${Date.now()}`).start();
    try {
      await writer.acknowledgedAfter(0, 5);
      let fencedAt: number | undefined;
      const outcome = await switchover(
        {
          consul: lab.cluster.consul,
          cluster: lab.cluster.cluster,
          credentials: lab.cluster.credentials,
          minAcks: topology.minAcks,
          stateNodeIds: stateNodeIdsOf(topology),
          timeoutMs: 10_000,
          progress: (line) => {
            const fenced = /^fenced \S+: no new writes; its last position is (\d+)/.exec(line);
            if (!fenced || fencedAt !== undefined) return;
            fencedAt = Number(fenced[1]);
            for (const pid of pids) process.kill(pid, 'SIGSTOP');
          },
        },
        target.id,
      ).then(
        (change) => `switched over to ${change.to} in term ${change.term}`,
        (err: Error) => {
          if (!(err instanceof PrimaryChangeError)) throw err;
          return `switchover failed: ${err.message}`;
        },
      );
      assert.ok(fencedAt !== undefined, `the switchover fenced the primary (${outcome})`);
      // The host wakes up cut off, its fence running out with nobody to confirm its term to it.
      await lab.isolate(primaryHost);
      for (const pid of pids) process.kill(pid, 'SIGCONT');
      await waitFor(`a write acknowledged in a newer term than ${before.term} (${outcome})`, () => writer.acked.some((w) => w.term > before.term), {
        timeoutMs: 60_000,
        intervalMs: 50,
      });
      await lab.heal();
      const after = await lab.cluster.settled(120_000);
      assert.ok(after.term > before.term && after.primaryId !== before.primaryId, `one new primary after the heal: ${JSON.stringify(after)} (${outcome})`);
      await writer.acknowledgedAfter(Date.now(), 5, 30_000, 'writes acknowledged after the heal');
      assert.deepEqual(await lab.cluster.duplicates(), [], 'no node runs twice');
      await writer.stop();
      const fence = fencedAt;
      const pastFence = writer.acked.filter((w) => w.term === before.term && w.position > fence);
      assert.deepEqual(pastFence, [], `writes acknowledged in term ${before.term} past the fence at position ${fencedAt}`);
      assert.deepEqual(await writer.check(), []);
    } finally {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // It exited.
        }
      }
      await writer.stop();
      state.close();
    }
  });
});
