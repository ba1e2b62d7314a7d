import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EventsClient } from '../../common/client/EventsClient';
import { REPO_ROOT } from '../../common/paths';
import { waitFor } from '../../common/time/waitFor';
import { NodeRole } from '../../gen/shoal/v1/node';
import { NodePhase } from '../../gen/shoal/v1/scale';
import { AckedWriter, useLabCluster } from '../support/labCluster';

const run = promisify(execFile);

// Short leases, so events held by a worker on a lost host go to another within seconds.
const EVENTS = { leaseMs: 6000, maxAttempts: 5, handlerTimeout: 5000, concurrency: 4, dedupeWindow: 120000 };

interface InsideRead {
  code: number;
  details: string;
  found?: boolean;
  term?: number;
  mayBeStale?: boolean;
}

/** A Get on `address` in a read mode from inside `namespace` (a client on that host): what it got. */
async function readFromInside(
  config: string,
  namespace: string,
  address: string,
  key: string,
  mode: 'default' | 'consistent' | 'stale' = 'default',
): Promise<InsideRead> {
  const { stdout } = await run(
    'ip',
    ['netns', 'exec', namespace, process.execPath, '--import', 'tsx', join(REPO_ROOT, 'test/support/labRead.ts'), address, key, mode, config],
    {
      cwd: REPO_ROOT,
      timeout: 10_000,
      encoding: 'utf8',
    },
  );
  return JSON.parse(stdout) as InsideRead;
}

// Scenarios 2, 5 and 8 of issue 14: a host vanishes (all its links down, no socket closes).
// Each test starts from a settled cluster and heals what it broke; none needs another's leftovers.
describe('lab: a host vanishes (root)', function () {
  this.timeout(240_000);
  const lab = useLabCluster({ configOverrides: { events: EVENTS } });

  it("isolating the primary's host promotes a replica elsewhere; the old primary stops serving reads within its lease and rejoins as a replica after heal; nothing is lost or duplicated", async () => {
    const before = await lab.cluster.settled();
    const oldHost = await lab.cluster.hostOf(before.primaryId);
    const oldPid = (await lab.cluster.processes()).find((p) => p.process.id === before.primaryId)!.process.pid;
    const state = lab.cluster.stateClient(15_000);
    const writer = new AckedWriter(state, `lab/isolate-primary/${Date.now()}`).start();
    try {
      await writer.acknowledgedAfter(0, 20);
      const cutAt = Date.now();
      await lab.isolate(oldHost);
      // A write in flight as the links went down may still be acknowledged in the old term.
      await waitFor('a write acknowledged in a newer term', () => writer.ackedSince(cutAt).some((w) => w.term > before.term), {
        timeoutMs: 30_000,
        intervalMs: 20,
        describe: () => Promise.resolve(`acknowledged since the isolation: ${writer.ackedSince(cutAt).length}, failed: ${writer.failed}`),
      });
      const after = await lab.cluster.leader();
      assert.notEqual(after.primaryId, before.primaryId, 'a new primary');
      assert.notEqual(await lab.cluster.hostOf(after.primaryId), oldHost, 'the new primary is on another host');

      // Inside its isolated host, the old primary stops answering reads once its lease ends.
      const refused = await waitFor(
        'the isolated old primary to refuse reads',
        async () => {
          const r = await readFromInside(lab.layout.clusterConfig, lab.host(oldHost).namespace, before.primaryAddress, writer.acked[0].key);
          return r.code !== 0 && r;
        },
        { timeoutMs: 15_000, intervalMs: 250 },
      );
      assert.match(refused.details, /lease|not the primary|primary/i, `refused with a reason: ${refused.details}`);
      // The read modes there (issue 15, scenario 2): consistent fails too; stale answers and says so.
      const key = writer.acked[0].key;
      const consistent = await readFromInside(lab.layout.clusterConfig, lab.host(oldHost).namespace, before.primaryAddress, key, 'consistent');
      assert.notEqual(consistent.code, 0, `a consistent read on the isolated old primary fails: ${JSON.stringify(consistent)}`);
      const stale = await readFromInside(lab.layout.clusterConfig, lab.host(oldHost).namespace, before.primaryAddress, key, 'stale');
      assert.equal(stale.code, 0, `a stale read is answered there: ${stale.details}`);
      assert.equal(stale.found, true);
      assert.equal(stale.mayBeStale, true, 'and says it may be stale');
      assert.equal(stale.term, before.term, 'at the old term');
      // Outside, the new primary serves all three.
      for (const consistency of ['default', 'consistent'] as const) {
        const r = await state.get(key, { consistency, deadlineMs: 5000 });
        assert.ok(r.found && r.term === after.term, `a ${consistency} read from outside is answered by the new primary in term ${after.term}`);
      }
      const replica = (await lab.cluster.topology()).nodes.find(
        (n) => n.id !== after.primaryId && n.id !== before.primaryId && n.observedRole === NodeRole.NODE_ROLE_REPLICA,
      );
      assert.ok(replica, 'a replica outside the isolated host');
      const fromReplica = await state.get(key, { consistency: 'stale', address: replica.grpcAddress, deadlineMs: 5000 });
      assert.ok(fromReplica.found, 'a stale read from outside is answered by a replica');

      await lab.heal();
      await waitFor(
        `${before.primaryId} to rejoin as a replica`,
        async () => {
          const t = await lab.cluster.topology();
          const old = t.nodes.find((n) => n.id === before.primaryId);
          return old?.observedRole === NodeRole.NODE_ROLE_REPLICA && old.streamConnected && old.term === after.term;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      await writer.stop();
      assert.deepEqual(await writer.check(), []);
      assert.deepEqual(await lab.cluster.duplicates(), [], 'no node runs twice');
      const now = (await lab.cluster.processes()).find((p) => p.process.id === before.primaryId)!;
      assert.equal(now.host, oldHost, 'the old primary was not started anywhere else');
      assert.equal(now.process.pid, oldPid, 'nor restarted: the same process rejoined');
    } finally {
      await writer.stop();
      state.close();
    }
  });

  it("isolating a replica's host leaves writes going (minAcks 1 of 2 replicas), and the replica catches up after heal", async () => {
    const record = await lab.cluster.settled();
    const t = await lab.cluster.topology();
    const replica = t.nodes.find((n) => n.observedRole === NodeRole.NODE_ROLE_REPLICA && n.id !== record.primaryId)!;
    const host = await lab.cluster.hostOf(replica.id);
    assert.notEqual(host, await lab.cluster.hostOf(record.primaryId));
    const state = lab.cluster.stateClient(15_000);
    const writer = new AckedWriter(state, `lab/isolate-replica/${Date.now()}`).start();
    try {
      await writer.acknowledgedAfter(0, 5);
      const cutAt = Date.now();
      await lab.isolate(host);
      await writer.acknowledgedAfter(cutAt + 3000, 20, 30_000, 'writes acknowledged with the replica gone');
      assert.equal((await lab.cluster.leader()).primaryId, record.primaryId, 'no failover');
      await lab.heal();
      const last = writer.acked.at(-1)!;
      await waitFor(
        `${replica.id} to catch up to position ${last.position}`,
        async () =>
          (
            await state
              .get(last.key, { address: replica.grpcAddress, consistency: 'stale', minPosition: last.position, deadlineMs: 2000 })
              .catch(() => undefined)
          )?.found === true,
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      await writer.stop();
      assert.deepEqual(await writer.check(), []);
      assert.deepEqual(await lab.cluster.duplicates(), []);
    } finally {
      await writer.stop();
      state.close();
    }
  });

  it("isolating a worker's host gets its leased events processed elsewhere, and a new worker serving on another host", async () => {
    await lab.cluster.settled();
    const events = new EventsClient({ consul: lab.cluster.consul, cluster: lab.cluster.cluster, credentials: lab.cluster.credentials });
    try {
      const start = await events.backlog();
      const count = 16;
      await events.publishBatch(Array.from({ length: count }, () => ({ type: 'sleep', payload: Buffer.from(JSON.stringify({ ms: 2500 })) })));
      // The worker to lose: one holding leases, on a host without the control-plane leader when there is a choice.
      const holding = await waitFor('a worker holding leases', async () => (await events.backlog()).workers.filter((w) => w.leased > 0), { timeoutMs: 20_000 });
      const hosts = await Promise.all(holding.map(async (w) => ({ id: w.workerId, host: await lab.cluster.hostOf(w.workerId) })));
      const cpLeader = await lab.cluster.controlPlaneLeaderId();
      const cpHost = lab.layout.controlPlanes.find((c) => c.id === cpLeader)?.host;
      const victim = hosts.find((h) => h.host !== cpHost) ?? hosts[0];
      const workersBefore = new Set((await lab.cluster.topology()).nodes.filter((n) => n.declaredRole === NodeRole.NODE_ROLE_WORKER).map((n) => n.id));
      await lab.isolate(victim.host);

      await waitFor(
        `all ${count} events done without ${victim.id}`,
        async () => {
          const b = await events.backlog(2000).catch(() => undefined);
          return b && b.pending === 0 && b.leased === 0 && b.done - start.done >= count;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      const replacement = await waitFor(
        `a new worker serving on a host other than ${victim.host}`,
        async () => {
          const t = await lab.cluster.topology();
          return t.nodes.find(
            (n) =>
              n.declaredRole === NodeRole.NODE_ROLE_WORKER &&
              !workersBefore.has(n.id) &&
              n.phase === NodePhase.NODE_PHASE_RUNNING &&
              n.host &&
              n.host !== victim.host,
          );
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      assert.ok(replacement.id !== victim.id);
      await lab.heal();
      // Back in sight, the lost worker is stopped rather than kept beside its replacement.
      await waitFor(`${victim.id} to be stopped once its host answers`, async () => !(await lab.cluster.processes()).some((p) => p.process.id === victim.id), {
        timeoutMs: 30_000,
        intervalMs: 250,
      });
      assert.deepEqual(await lab.cluster.duplicates(), []);
    } finally {
      events.close();
    }
  });
});
