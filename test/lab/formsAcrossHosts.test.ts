import { strict as assert } from 'node:assert';
import { labShoalToken } from '../../lab/consul/labConsulSecurity';
import { ConsulApi } from '../../common/consul/ConsulApi';
import { clusterMembers } from '../../common/cluster/memberFromConsul';
import { waitFor } from '../../common/time/waitFor';
import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import { type GetResponse, type PutResponse, ReadConsistency, StateClient } from '../../gen/shoal/v1/state';
import { consulServers } from '../../lab/layout';
import { nodeHosts } from '../../lab/nodeHosts';
import { call } from '../support/grpcClients';
import { useLab } from '../support/lab';

// Scenario 1 of issue 14: the cluster the control planes place through the host agents forms
// across five hosts. Needs the lab placement (control-plane/placement/LabPlacement.ts).
describe('lab: the cluster forms across hosts (root)', function () {
  this.timeout(180_000);
  const lab = useLab({ hosts: 5, cluster: true });
  const declared = ['primary', 'replica-1', 'replica-2', 'worker-1', 'worker-2'];

  it('registers every node with its own host address, the primary on h1, and replicates a write to each replica', async () => {
    const consul = new ConsulApi(consulServers(lab.layout)[0].consulHttp, { token: labShoalToken(lab.runDir) });
    const members = await waitFor(
      'every declared node passing in Consul',
      async () => {
        const all = await clusterMembers(consul, lab.layout.cluster);
        return declared.every((id) => all.some((m) => m.id === id && m.health === MemberHealth.MEMBER_HEALTH_PASSING)) && all;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const hosts = await nodeHosts(lab.layout);
    for (const m of members) {
      assert.doesNotMatch(m.grpcAddress, /^127\./, `${m.id} is registered with a loopback address`);
      const host = hosts.get(m.id);
      assert.ok(host, `${m.id} runs on a host (its agent lists it)`);
      assert.equal(m.grpcAddress.split(':')[0], lab.host(host).address, `${m.id} is registered with ${host}'s address`);
    }
    assert.equal(hosts.get('primary'), 'h1');
    const replicaHosts = ['replica-1', 'replica-2'].map((id) => hosts.get(id));
    assert.ok(!replicaHosts.includes('h1'), `replicas on ${replicaHosts.join(', ')}, not with the primary`);
    assert.notEqual(replicaHosts[0], replicaHosts[1], 'the two replicas on different hosts');

    const primary = members.find((m) => m.id === 'primary' && m.role === NodeRole.NODE_ROLE_PRIMARY);
    assert.ok(primary, 'the primary is registered as primary');
    const writer = new StateClient(primary.grpcAddress, lab.credentials);
    try {
      const put: PutResponse = await call(writer, writer.put, { key: 'lab/formed', value: Buffer.from('across hosts') });
      assert.ok(put.result);
      for (const id of ['replica-1', 'replica-2']) {
        const replica = members.find((m) => m.id === id)!;
        const reader = new StateClient(replica.grpcAddress, lab.credentials);
        try {
          const got: GetResponse = await call(
            reader,
            reader.get,
            { key: 'lab/formed', minPosition: put.result.position, consistency: ReadConsistency.READ_CONSISTENCY_STALE },
            10_000,
          );
          assert.equal(got.found, true, `${id} has the write`);
          assert.equal(got.value.toString(), 'across hosts');
        } finally {
          reader.close();
        }
      }
    } finally {
      writer.close();
    }
  });
});
