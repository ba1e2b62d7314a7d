import { strict as assert } from 'node:assert';
import { serviceNameOf } from '../../common/consul/ConsulApi';
import { waitFor } from '../../common/time/waitFor';
import { ClusterEventKind } from '../../gen/shoal/v1/scale';
import { consulServers } from '../../lab/layout';
import { AckedWriter, useLabCluster } from '../support/labCluster';

const ACTIONS = [
  ClusterEventKind.CLUSTER_EVENT_KIND_FAILED_OVER,
  ClusterEventKind.CLUSTER_EVENT_KIND_NODE_STARTED,
  ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RESTARTED,
  ClusterEventKind.CLUSTER_EVENT_KIND_NODE_REMOVED,
];

// Scenario 7 of issue 14: one of three Consul servers dies, the Raft leader.
describe('lab: a Consul server dies, the Raft leader (root)', function () {
  this.timeout(240_000);
  const lab = useLabCluster();

  it('fails nothing over, restarts nothing and starts no node anywhere, even once Consul drops that server’s services', async () => {
    await lab.cluster.settled();
    const raftLeader = (await lab.cluster.consul.leader()).split(':')[0];
    const servers = consulServers(lab.layout);
    const index = servers.findIndex((s) => s.address === raftLeader);
    assert.ok(index >= 0, `the Raft leader ${raftLeader} is one of the servers`);
    const deadHost = servers[index];
    const running = await lab.cluster.processes();
    const onDeadHost = running.filter((p) => p.host === deadHost.name).map((p) => p.process.id);
    const state = lab.cluster.stateClient(15_000);
    const writer = new AckedWriter(state, `lab/consul-loss/${Date.now()}`).start();
    try {
      await writer.acknowledgedAfter(0, 5);
      const killedAt = Date.now();
      await lab.kill(`consul-${index + 1}`);
      // The nodes registered with that server's agent leave the catalog (autopilot and the lost
      // agent): "not in Consul's catalog" must not read as "not running".
      if (onDeadHost.length) {
        await waitFor(
          `${onDeadHost.join(', ')} to leave Consul's catalog or turn critical`,
          async () => {
            const { value } = await lab.cluster.consul.healthService(serviceNameOf(lab.cluster.cluster));
            return onDeadHost.every((id) => {
              const e = value.find((v) => v.Service.ID === id);
              return !e || e.Checks.some((c) => c.Status === 'critical');
            });
          },
          { timeoutMs: 90_000, intervalMs: 500 },
        );
      }
      // Then a bounded look (the point is what does not happen): ten reconcile passes.
      const until = Date.now() + 5000;
      while (Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 500));
      const acted = (await lab.cluster.decisions()).filter((e) => ACTIONS.includes(e.kind) && e.atUnixMs >= killedAt);
      assert.deepEqual(
        acted.map((e) => [e.kind, e.nodeId, e.reason]),
        [],
        'no failover, restart or start',
      );
      assert.deepEqual(await lab.cluster.duplicates(), []);
      const after = (await lab.cluster.processes()).map((p) => `${p.process.id}@${p.host}:${p.process.pid}`).sort();
      assert.deepEqual(after, running.map((p) => `${p.process.id}@${p.host}:${p.process.pid}`).sort(), 'the same processes run where they ran');
      await writer.acknowledgedAfter(Date.now(), 5, 20_000, 'writes still acknowledged');
      await writer.stop();
      assert.deepEqual(await writer.check(), []);
    } finally {
      await writer.stop();
      state.close();
    }
  });
});
