import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { REPO_ROOT } from '../../common/paths';
import { waitFor } from '../../common/time/waitFor';
import { checkAckedWrites } from '../../common/history/checkAckedWrites';
import { checkLinearizable } from '../../common/history/checkLinearizable';
import { checkOneWriterPerTerm } from '../../common/history/checkOneWriterPerTerm';
import { checkReadValues } from '../../common/history/checkReadValues';
import type { KeyValue } from '../../common/history/event';
import { HistoryRecorder } from '../../common/history/HistoryRecorder';
import { RecordedStateClient } from '../../common/history/RecordedStateClient';
import { problemsOf } from '../../common/history/verdict';
import { NodeRole } from '../../gen/shoal/v1/node';
import { consulServers } from '../../lab/layout';
import { AckedWriter, type LabCluster, useLabCluster } from '../support/labCluster';

/**
 * Read-then-compare-and-set on a few keys, one operation at a time, until stopped: each cas sets
 * a value unique to this client and step, so the history's checkers can tell every write apart.
 */
class RegisterClient {
  casOk = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: RecordedStateClient,
    private readonly keys: string[],
  ) {}

  start(): this {
    this.loop = (async () => {
      for (let i = 0; !this.stopped; i++) {
        const key = this.keys[i % this.keys.length];
        try {
          const r = await this.client.read(key);
          await this.client.cas(key, { version: r.version, value: r.found ? r.value.toString('utf8') : null }, `${this.client.client}-${i}`);
          this.casOk += 1;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** Holds a fault for `ms` (what matters is what happens meanwhile) and returns each leader record seen, in order. */
async function leadersDuring(cluster: LabCluster, ms: number): Promise<string[]> {
  const until = Date.now() + ms;
  const seen: string[] = [];
  while (Date.now() < until) {
    const record = await cluster.leader().catch(() => undefined);
    const now = record && `${record.primaryId} in term ${record.term}`;
    if (now && seen.at(-1) !== now) seen.push(now);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return seen;
}

// Scenario 3 of issue 15: a bridge. The primary still reaches one replica, and only it; the other
// replica, the Consul servers and the control planes are on the far side. Clients on the machine
// reach every host.
describe('lab: a bridge (root)', function () {
  this.timeout(300_000);
  const lab = useLabCluster();

  it('the primary reaching only replica-1: no acknowledged write is lost, one primary acknowledges per term and at a time, and compare-and-set keys stay linearizable', async () => {
    const before = await lab.cluster.settled();
    const primaryHost = await lab.cluster.hostOf(before.primaryId);
    const replicaIds = (await lab.cluster.topology()).nodes.filter((n) => n.declaredRole === NodeRole.NODE_ROLE_REPLICA).map((n) => n.id);
    const replicas = await Promise.all(replicaIds.map(async (id) => ({ id, host: await lab.cluster.hostOf(id) })));
    const sideHosts = new Set([...consulServers(lab.layout).map((h) => h.name), ...lab.layout.controlPlanes.map((c) => c.host)]);
    // The bridge is a replica on a host with neither a Consul server nor a control plane (h2 in the lab's layout).
    const bridge = replicas.find((r) => r.host !== primaryHost && !sideHosts.has(r.host));
    assert.ok(bridge, `a replica on a host without Consul server or control plane to be the bridge (replicas: ${JSON.stringify(replicas)})`);
    const farSide = lab.layout.hosts.map((h) => h.name).filter((h) => h !== primaryHost && h !== bridge.host);
    assert.ok(
      replicas.some((r) => r.id !== bridge.id && farSide.includes(r.host)),
      `the other replica is on the far side (${farSide.join(', ')})`,
    );

    const base = `lab/bridge/${Date.now()}`;
    const historyFile = join(REPO_ROOT, 'test-output', 'history', `${base.replace(/\//g, '_')}.jsonl`);
    const recorder = new HistoryRecorder();
    const registerKeys = [0, 1, 2].map((i) => `${base}/r/${i}`);
    const states = [lab.cluster.stateClient(15_000), lab.cluster.stateClient(5000), lab.cluster.stateClient(5000), lab.cluster.stateClient(15_000)];
    const writer = new AckedWriter(states[0], `${base}/w`, { recorder, historyFile });
    const registers = ['reg-a', 'reg-b'].map((c, i) => new RegisterClient(new RecordedStateClient(states[1 + i], recorder, c), registerKeys));
    try {
      writer.start();
      for (const r of registers) r.start();
      await writer.acknowledgedAfter(0, 10);
      await waitFor('compare-and-sets from both register clients', () => registers.every((r) => r.casOk >= 3), { timeoutMs: 20_000, intervalMs: 50 });

      await lab.cut(primaryHost, farSide.join(','));
      // Several times controlPlane.failoverAfter and sync.primaryLease: long enough for a failover and for a lease to run out.
      const leaders = await leadersDuring(lab.cluster, 8000);
      await lab.heal();
      await lab.cluster.settled();
      const healedAt = Date.now();
      await writer.acknowledgedAfter(healedAt, 5, 30_000, 'writes acknowledged after the heal');
      const casBefore = registers.map((r) => r.casOk);
      await waitFor('compare-and-sets after the heal', () => registers.every((r, i) => r.casOk > casBefore[i]), { timeoutMs: 30_000, intervalMs: 50 });
      assert.deepEqual(await lab.cluster.duplicates(), [], 'no node runs twice');

      await writer.stop();
      await Promise.all(registers.map((r) => r.stop()));
      const problems = await writer.check();
      const finalReads = new Map<string, KeyValue>();
      const reader = new RecordedStateClient(states[3], recorder, 'final reads');
      for (const key of registerKeys) {
        const r = await reader.read(key);
        finalReads.set(key, r.found ? r.value.toString('utf8') : null);
      }
      recorder.save(historyFile);
      const registerHistory = recorder.history.filter((e) => registerKeys.includes(e.key));
      problems.push(
        ...problemsOf([
          checkAckedWrites(registerHistory, finalReads),
          checkReadValues(recorder.history),
          checkOneWriterPerTerm(recorder.history),
          // Default reads may be stale by up to the primary's lease (docs/consistency.md), so only
          // the compare-and-sets, which go through the write path, are held to linearizability.
          checkLinearizable(registerHistory.filter((e) => e.op !== 'read')),
        ]),
      );
      assert.deepEqual(problems, [], `leader records during the bridge: ${leaders.join(' → ')}; history in ${historyFile}`);
    } finally {
      await writer.stop();
      await Promise.all(registers.map((r) => r.stop()));
      recorder.save(historyFile);
      for (const s of states) s.close();
    }
  });
});
