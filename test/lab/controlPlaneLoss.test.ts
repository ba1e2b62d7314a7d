import { strict as assert } from 'node:assert';
import { waitFor } from '../../common/time/waitFor';
import { ClusterEventKind, NodePhase } from '../../gen/shoal/v1/scale';
import { useLabCluster } from '../support/labCluster';

// Scenario 6 of issue 14: the control-plane leader's host vanishes.
describe("lab: the control-plane leader's host vanishes (root)", function () {
  this.timeout(240_000);
  const lab = useLabCluster();

  it('the standby takes over and acts; the old leader decides nothing after the standby has', async () => {
    await lab.cluster.settled();
    const oldLeader = (await lab.cluster.controlPlaneLeaderId())!;
    const oldHost = lab.layout.controlPlanes.find((c) => c.id === oldLeader)!.host;
    await lab.isolate(oldHost);
    const standby = await waitFor(
      'the standby to hold the lock',
      async () => {
        const id = await lab.cluster.controlPlaneLeaderId().catch(() => undefined);
        return id && id !== oldLeader && id;
      },
      { timeoutMs: 45_000, intervalMs: 250 },
    );
    // Something to act on: a worker on a host still in sight is killed; the new leader restarts it.
    const t = await lab.cluster.topology();
    const worker = (await lab.cluster.processes()).find((p) => p.process.role === 'worker' && p.host !== oldHost)!;
    assert.ok(worker, `a worker outside ${oldHost} (${t.nodes.map((n) => `${n.id}@${n.host}`).join(', ')})`);
    const killedAt = Date.now();
    await lab.kill(worker.process.id);
    const restarted = await waitFor(
      `${standby} to restart ${worker.process.id}`,
      async () =>
        (await lab.cluster.decisions()).find(
          (e) => e.kind === ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RESTARTED && e.nodeId === worker.process.id && e.atUnixMs >= killedAt,
        ),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    assert.equal(restarted.controlPlaneId, standby);
    await lab.heal();
    await lab.cluster.settled();
    const firstByStandby = (await lab.cluster.decisions()).find((e) => e.decision && e.controlPlaneId === standby)!;
    const late = (await lab.cluster.decisions()).filter((e) => e.decision && e.controlPlaneId === oldLeader && e.atUnixMs > firstByStandby.atUnixMs);
    assert.deepEqual(
      late.map((e) => [e.kind, e.nodeId, e.reason]),
      [],
      `${oldLeader} decided after ${standby} took over`,
    );
    const node = (await lab.cluster.topology()).nodes.find((n) => n.id === worker.process.id);
    assert.equal(node?.phase, NodePhase.NODE_PHASE_RUNNING);
    assert.deepEqual(await lab.cluster.duplicates(), []);
  });
});
