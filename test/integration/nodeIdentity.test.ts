import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { readLeader } from '../../common/cluster/leaderRecord';
import { unaryCall } from '../../common/client/grpcCall';
import { waitFor } from '../../common/time/waitFor';
import { NodeRole } from '../../gen/shoal/v1/node';
import { runCli } from '../support/runCli';
import { StateCluster } from '../support/stateCluster';
import { outputDir } from '../support/testConsul';

const REPLICA = NodeRole.NODE_ROLE_REPLICA;

// Issue 14: node identity is more than the id. A copy of the primary started with an empty data
// directory (a replacement machine, a wiped disk) finds the leader record naming its id with a
// store it does not have: it must not take over, and must say why.
describe('a primary restarted without its data', function () {
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster: 'identity', sync: { minAcks: 1 } });
  });

  after(async function () {
    await c?.stop();
  });

  it('waits as a replica and says why, takes no write and leaves the leader record alone; after a failover it follows the new primary', async function () {
    const client = c.client({ deadlineMs: 5000 });
    try {
      const written = await client.put('identity/kept', Buffer.from('v1'));
      const before = (await readLeader(c.consul.api, 'identity')).record!;
      assert.equal(before.primaryId, 'primary');
      assert.ok(before.storeId, 'the leader record names the primary’s store');

      await c.nodes.node('primary').kill();
      rmSync(join(outputDir('data', 'identity'), 'primary'), { recursive: true, force: true });
      const copy = c.nodes.spawn({ role: 'primary' });
      c.nodes.addresses.set('primary', await copy.serving());

      const said = await waitFor('the empty copy to say its data is elsewhere', () => copy.lines.find((l) => /its data is elsewhere/.test(String(l.msg))), {
        timeoutMs: 15000,
      });
      assert.match(String(said.msg), new RegExp(`store ${before.storeId}`), 'it names the store the record expects');
      const position = await c.position('primary');
      assert.equal(position.role, REPLICA, 'it waits as a replica');
      assert.notEqual(position.storeId, before.storeId);

      const refused = await unaryCall(
        (m, o, cb) => c.node('primary').state.put({ key: 'identity/on-empty', value: Buffer.from('x') }, m, o, cb),
        Date.now() + 3000,
      ).then(
        () => undefined,
        (err: ServiceError) => err,
      );
      assert.ok(refused, 'the empty copy acknowledged no write');
      assert.equal(refused.code, status.FAILED_PRECONDITION, refused.details);

      const record = (await readLeader(c.consul.api, 'identity')).record!;
      assert.deepEqual(
        { term: record.term, primaryId: record.primaryId, storeId: record.storeId },
        { term: before.term, primaryId: before.primaryId, storeId: before.storeId },
        'the leader record is untouched',
      );

      const failover = await runCli(['failover', '--cluster', 'identity', '--config', c.configPath, '--timeout', '10000'], {
        CONSUL_HTTP_ADDR: c.consul.address,
      });
      assert.equal(failover.code, 0, failover.stdout + failover.stderr);
      const after = (await readLeader(c.consul.api, 'identity')).record!;
      assert.notEqual(after.primaryId, 'primary', 'a replica with the data is promoted');
      await waitFor(
        'the empty copy to follow the new primary and hold what was written',
        async () => {
          const p = await c.position('primary');
          return p.role === REPLICA && p.primaryId === after.primaryId && p.position >= written.position;
        },
        { timeoutMs: 15000 },
      );
    } finally {
      client.close();
    }
  });
});
