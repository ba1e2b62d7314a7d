import assert from 'node:assert/strict';
import { serviceNameOf } from '../../common/consul/ConsulApi';
import { StateClient } from '../../common/client/StateClient';
import { waitFor } from '../../common/time/waitFor';
import type { ListMembersResponse } from '../../gen/shoal/v1/discovery';
import { call, clientsFor } from '../support/grpcClients';
import { NodeProcess } from '../support/nodeProcess';
import { startTestConsul, type TestConsul } from '../support/testConsul';

// The seed's scenario 1, the way its README runs it: one terminal per node
// (`npm run start:primary`, then `npm run start:replica -- --id replica-1`, …), no control plane.
describe('scenario 1: a primary, then replicas one by one, started by hand', function () {
  this.timeout(60_000);
  const cluster = 'scenario1';
  let consul: TestConsul;
  let state: StateClient;
  const nodes: NodeProcess[] = [];

  before(async function () {
    consul = await startTestConsul();
    state = new StateClient({ consul: consul.api, cluster, deadlineMs: 10_000 });
  });

  after(async function () {
    state?.close();
    await Promise.all(nodes.map((n) => n.kill()));
    await consul?.stop();
  });

  async function start(role: 'primary' | 'replica', id: string): Promise<string> {
    const node = NodeProcess.spawn({ role, id, consulAddress: consul.address, cluster });
    nodes.push(node);
    return (await node.serving()).grpc;
  }

  /** The member ids a node lists, once it lists `count`. */
  async function membersSeenBy(address: string, count: number): Promise<string[]> {
    const clients = clientsFor(address);
    try {
      return await waitFor(
        `${address} to list ${count} members`,
        async () => {
          const { members } = await call<object, ListMembersResponse>(clients.discovery, clients.discovery.listMembers, {});
          return members.length === count && members.map((m) => m.id).sort();
        },
        { timeoutMs: 15_000 },
      );
    } finally {
      clients.close();
    }
  }

  it('each node registers in Consul, discovers the others, and holds what the primary took', async function () {
    const primary = await start('primary', 'primary');
    await consul.waitForPassing(serviceNameOf(cluster), 1);

    const replica1 = await start('replica', 'replica-1');
    await consul.waitForPassing(serviceNameOf(cluster), 2);
    assert.deepEqual(await membersSeenBy(replica1, 2), ['primary', 'replica-1']);
    const first = await state.put('greeting', Buffer.from('hello from the primary'));
    const onReplica1 = await state.get('greeting', { address: replica1, consistency: 'stale', minPosition: first.position });
    assert.equal(Buffer.from(onReplica1.value).toString(), 'hello from the primary');

    const replica2 = await start('replica', 'replica-2');
    await consul.waitForPassing(serviceNameOf(cluster), 3);
    for (const address of [primary, replica1, replica2]) assert.deepEqual(await membersSeenBy(address, 3), ['primary', 'replica-1', 'replica-2']);
    // The newcomer catches up on what was written before it came, and follows what comes after.
    const second = await state.put('counter', Buffer.from('2'));
    for (const address of [replica1, replica2]) {
      const greeting = await state.get('greeting', { address, consistency: 'stale', minPosition: second.position });
      const counter = await state.get('counter', { address, consistency: 'stale', minPosition: second.position });
      assert.equal(Buffer.from(greeting.value).toString(), 'hello from the primary', address);
      assert.equal(Buffer.from(counter.value).toString(), '2', address);
    }
  });
});
