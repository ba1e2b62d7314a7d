import { ReadConsistency } from '../../gen/shoal/v1/state';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { unaryCall } from '../../common/client/grpcCall';
import { waitFor } from '../../common/time/waitFor';
import { StateCluster } from '../support/stateCluster';

describe('replicas dying and coming back (minAcks 1, 50 entries retained)', function () {
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster: 'dur', sync: { minAcks: 1, retainEntries: 50, interval: 300 } });
  });

  after(async function () {
    await c?.stop();
  });

  const put = (key: string, value: string, timeoutMs = 1500) => {
    const { state } = c.node('primary');
    return unaryCall<{ result?: { position: number } }>((m, o, cb) => state.put({ key, value: Buffer.from(value) }, m, o, cb), Date.now() + timeoutMs);
  };
  const get = (node: string, key: string, minPosition = 0) => {
    const { state } = c.node(node);
    return unaryCall<{ found: boolean; value: Buffer }>(
      (m, o, cb) => state.get({ key, minPosition, consistency: ReadConsistency.READ_CONSISTENCY_STALE }, m, o, cb),
      Date.now() + 10000,
    );
  };

  it('keeps acknowledging writes with one replica killed -9 under load, refuses them with both gone, and loses no acknowledged one', async function () {
    const acked = new Map<string, number>();
    const failed: { key: string; err: ServiceError }[] = [];
    let running = true;
    let i = 0;
    const load = (async () => {
      while (running) {
        const key = `load/${i++}`;
        try {
          acked.set(key, (await put(key, `value of ${key}`)).result!.position);
        } catch (err) {
          failed.push({ key, err: err as ServiceError });
        }
      }
    })();
    try {
      await waitFor('20 acknowledged writes', () => acked.size >= 20, { timeoutMs: 10000 });
      await c.nodes.node('replica-2').kill();
      const beforeSecondKill = acked.size;
      await waitFor('20 more acknowledged writes with one replica left', () => acked.size >= beforeSecondKill + 20, { timeoutMs: 15000 });
      await c.nodes.node('replica-1').kill();
      const failedBefore = failed.length;
      await waitFor('writes to fail once no replica is left', () => failed.length >= failedBefore + 5, { timeoutMs: 20000 });
    } finally {
      running = false;
      await load;
    }
    const late = failed.filter((f) => f.err.code !== status.UNAVAILABLE);
    assert.deepEqual(
      late.map((f) => `${f.key}: ${f.err.code} ${f.err.details}`),
      [],
      'every refused write is UNAVAILABLE',
    );
    const refusedOutright = failed.filter((f) => /nothing was written/.test(f.err.details));
    assert.ok(refusedOutright.length > 0, 'with no replica connected, writes are refused before anything is written');

    await Promise.all(['replica-1', 'replica-2'].map((id) => c.nodes.restart(id)));
    await c.waitForReplicas('primary', 2);
    const last = Math.max(...acked.values());
    for (const node of ['primary', 'replica-1', 'replica-2']) {
      await get(node, 'load/0', last);
      for (const [key] of acked) {
        const read = await get(node, key);
        assert.equal(read.found, true, `${key} was acknowledged, so ${node} has it`);
        assert.equal(Buffer.from(read.value).toString(), `value of ${key}`);
      }
      for (const { key } of refusedOutright) assert.equal((await get(node, key)).found, false, `${key} was refused, so ${node} does not have it`);
    }
  });

  it('brings a replica killed and written past back up to date when it restarts', async function () {
    await c.nodes.node('replica-1').kill();
    let position = 0;
    for (let n = 0; n < 10; n++) position = (await put(`catchup/${n}`, String(n))).result!.position;
    await c.nodes.restart('replica-1');
    const read = await get('replica-1', 'catchup/9', position);
    assert.equal(Buffer.from(read.value).toString(), '9');
    assert.ok(
      c.nodes.node('replica-1').lines.some((l) => l.msg === 'replicating from the primary' && Number(l.from) > 1),
      'it streamed from where it stopped',
    );
  });

  it('sends a snapshot, then the stream, to a replica further behind than the retained log', async function () {
    await c.waitForReplicas('primary', 2);
    const behind = (await c.position('replica-2')).position;
    await c.nodes.node('replica-2').kill();
    let position = 0;
    for (let n = 0; n < 120; n++) position = (await put(`snap/${n}`, String(n))).result!.position;
    await waitFor(
      'the primary to drop entries the replica still needs',
      async () => (await c.metric('primary', 'shoal_state_log_retained_from')) > behind + 1,
      { timeoutMs: 10000 },
    );
    const node = await c.nodes.restart('replica-2');
    for (let n = 0; n < 120; n += 17) assert.equal(Buffer.from((await get('replica-2', `snap/${n}`, position)).value).toString(), String(n));
    await node.logLine('installed the snapshot');
    const after = await put('snap/after', 'streamed');
    assert.equal(Buffer.from((await get('replica-2', 'snap/after', after.result!.position)).value).toString(), 'streamed');
  });
});
