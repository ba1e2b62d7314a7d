import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type ServiceError, status } from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { NodeRole } from '../../gen/shoal/v1/node';
import { ChangeKind, ReadConsistency, type WatchResponse } from '../../gen/shoal/v1/state';
import { unaryCall } from '../../common/client/grpcCall';
import { waitFor } from '../../common/time/waitFor';
import { readLeader } from '../../common/cluster/leaderRecord';
import { ConsulApi } from '../../common/consul/ConsulApi';
import { grpcError } from '../support/grpcClients';
import { runCli } from '../support/runCli';
import { StateCluster } from '../support/stateCluster';
import { outputDir } from '../support/testConsul';

describe('the replicated state store (a primary, 2 replicas, a worker; minAcks 1)', function () {
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster: 'state', workers: 1, sync: { minAcks: 1, interval: 500 } });
  });

  after(async function () {
    await c?.stop();
  });

  const put = (node: string, key: string, value: string, expectedVersion?: number, timeoutMs = 5000) => {
    const { state } = c.node(node);
    return unaryCall<{ result?: { position: number; term: number; version: number } }>(
      (m, o, cb) => state.put({ key, value: Buffer.from(value), expectedVersion }, m, o, cb),
      Date.now() + timeoutMs,
    );
  };
  const get = (node: string, key: string, minPosition = 0, timeoutMs = 5000) => {
    const { state } = c.node(node);
    return unaryCall<{ found: boolean; value: Buffer; version: number; position: number }>(
      (m, o, cb) => state.get({ key, minPosition, consistency: ReadConsistency.READ_CONSISTENCY_STALE }, m, o, cb),
      Date.now() + timeoutMs,
    );
  };

  it('acknowledges a write on the primary with its position, term and version, and both replicas serve it', async function () {
    const { result } = await put('primary', 'greeting', 'hello');
    assert.equal(result!.version, 1);
    assert.equal(result!.term, 1);
    for (const replica of ['replica-1', 'replica-2']) {
      const read = await get(replica, 'greeting', result!.position);
      assert.deepEqual([read.found, Buffer.from(read.value).toString(), read.version], [true, 'hello', 1]);
    }
  });

  it('streams Watch on a replica: a snapshot, then changes in log order', async function () {
    await put('primary', 'w/existing', 'before');
    const { state } = c.node('replica-1');
    const stream = state.watch({ prefix: 'w/', consistency: ReadConsistency.READ_CONSISTENCY_STALE, fromPosition: 0 });
    const messages: WatchResponse[] = [];
    stream.on('data', (m: WatchResponse) => messages.push(m));
    stream.on('error', () => undefined);
    try {
      await waitFor('the snapshot', () => messages[0], { timeoutMs: 5000 });
      const snap = messages[0].event;
      assert.equal(snap?.$case, 'snapshot');
      if (snap?.$case === 'snapshot')
        assert.deepEqual(
          snap.value.entries.map((e) => e.key),
          ['w/existing'],
        );
      for (const k of ['w/a', 'w/b', 'w/c']) await put('primary', k, k.toUpperCase());
      await put('primary', 'other', 'not watched');
      const { state: primaryState } = c.node('primary');
      await unaryCall((m, o, cb) => primaryState.delete({ key: 'w/a' }, m, o, cb), Date.now() + 5000);
      await waitFor('four changes', () => messages.length >= 5, { timeoutMs: 5000 });
      const changes = messages.slice(1).map((m) => (m.event?.$case === 'change' ? [m.event.value.kind, m.event.value.entry?.key] : []));
      assert.deepEqual(changes, [
        [ChangeKind.CHANGE_KIND_PUT, 'w/a'],
        [ChangeKind.CHANGE_KIND_PUT, 'w/b'],
        [ChangeKind.CHANGE_KIND_PUT, 'w/c'],
        [ChangeKind.CHANGE_KIND_DELETE, 'w/a'],
      ]);
      const positions = messages.slice(1).map((m) => m.position);
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
      );
    } finally {
      stream.cancel();
    }
  });

  it('refuses a replica of an older version (its hello has no log version) with FAILED_PRECONDITION naming the fix, and does not count it', async function () {
    const { term } = await c.position('primary');
    const refused = await new Promise<ServiceError>((resolve, reject) => {
      const call = c.node('primary').sync.replicate();
      call.on('data', () => reject(new Error('the primary streamed to an old replica')));
      call.on('error', resolve);
      call.on('end', () => reject(new Error('the stream ended without an error')));
      call.write({
        message: {
          $case: 'hello',
          value: { replicaId: 'replica-of-an-older-version', term, lastPosition: 0, termHistory: [], wantSnapshot: true, logVersion: 0 },
        },
      });
    });
    assert.equal(refused.code, status.FAILED_PRECONDITION);
    assert.match(refused.details, /replica-of-an-older-version runs an older shoal \(log version 0.*upgrade it/);
    assert.equal(await c.metric('primary', 'shoal_replication_connected_replicas'), 2);
  });

  it('refuses a write on a replica or a worker with FAILED_PRECONDITION and the primary in "shoal-primary"', async function () {
    for (const node of ['replica-2', 'worker-1']) {
      const err = await grpcError(put(node, 'k', 'v'));
      assert.equal(err.code, status.FAILED_PRECONDITION, node);
      assert.deepEqual(err.metadata.get('shoal-primary'), [c.nodes.grpc('primary')], node);
    }
  });

  it('follows that redirect in the project client, and the CLI writes and reads through it', async function () {
    const client = c.client();
    try {
      const r = await client.put('via-client', Buffer.from('yes'));
      assert.ok(r.position > 0);
    } finally {
      client.close();
    }
    const env = { CONSUL_HTTP_ADDR: c.consul.address };
    const putCli = await runCli(['put', 'cli-key', 'cli value', '--cluster', 'state'], env);
    assert.equal(putCli.code, 0, putCli.stderr);
    assert.match(putCli.stdout, /^OK cli-key version 1 \(position \d+, term 1\)/);
    const getCli = await runCli(['get', 'cli-key', '--cluster', 'state', '--from', 'replica-2', '--min-position', '1'], env);
    assert.equal(getCli.stdout, 'cli value\n');
    const missing = await runCli(['get', 'no-such-key', '--cluster', 'state'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no-such-key not found/);
    const ls = await runCli(['ls', 'cli-', '--cluster', 'state'], env);
    assert.match(ls.stdout, /^cli-key\tv1\tcli value$/m);
    const removed = await runCli(['rm', 'cli-key', '--cluster', 'state'], env);
    assert.match(removed.stdout, /^OK deleted cli-key \(position \d+, term 1\)/);
    assert.equal((await runCli(['rm', 'cli-key', '--cluster', 'state'], env)).code, 1);
    const status = await runCli(['status', '--cluster', 'state'], env);
    assert.match(status.stdout, /^primary\s+primary\s+\S+\s+\S+\s+passing\s+1\s+\d+\s+-\s/m);
    assert.match(status.stdout, /^replica-1\s+replica\s+\S+\s+\S+\s+passing\s+1\s+\d+\s+\d+\s/m);
    assert.match(status.stdout, /^worker-1\s+worker\s+\S+\s+\S+\s+passing\s+-\s+-\s+-\s/m);
  });

  it('pages through List in key order', async function () {
    for (let i = 0; i < 7; i++) await put('primary', `page/${i}`, String(i));
    const { state } = c.node('primary');
    const keys: string[] = [];
    let pageToken = '';
    do {
      const page = await unaryCall<{ entries: { key: string }[]; nextPageToken: string }>(
        (m, o, cb) => state.list({ prefix: 'page/', limit: 3, pageToken, consistency: ReadConsistency.READ_CONSISTENCY_DEFAULT }, m, o, cb),
        Date.now() + 5000,
      );
      keys.push(...page.entries.map((e) => e.key));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.deepEqual(keys, ['page/0', 'page/1', 'page/2', 'page/3', 'page/4', 'page/5', 'page/6']);
  });

  describe('bad input', function () {
    it('rejects an empty key, an oversized key and an oversized value with INVALID_ARGUMENT naming the limit', async function () {
      const empty = await grpcError(put('primary', '', 'v'));
      assert.equal(empty.code, status.INVALID_ARGUMENT);
      assert.match(empty.details, /key must not be empty/);
      const longKey = await grpcError(put('primary', 'k'.repeat(1025), 'v'));
      assert.equal(longKey.code, status.INVALID_ARGUMENT);
      assert.match(longKey.details, /1025 bytes; the limit is 1024 bytes/);
      const bigValue = await grpcError(put('primary', 'big', 'x'.repeat(1024 * 1024 + 1)));
      assert.equal(bigValue.code, status.INVALID_ARGUMENT);
      assert.match(bigValue.details, /the limit is 1048576 bytes \(1 MiB\)/);
    });

    it('answers a compare-and-set with the wrong version ABORTED, and leaves the value alone', async function () {
      const { result } = await put('primary', 'cas', 'one');
      const err = await grpcError(put('primary', 'cas', 'two', result!.version + 5));
      assert.equal(err.code, status.ABORTED);
      assert.match(err.details, /at version 1, not the expected 6/);
      assert.equal((await put('primary', 'cas', 'two', result!.version)).result!.version, 2);
      const absent = await grpcError(put('primary', 'cas', 'three', 0));
      assert.equal(absent.code, status.ABORTED);
      assert.equal(Buffer.from((await get('primary', 'cas')).value).toString(), 'two');
    });

    it('waits for a future min_position until the deadline, then answers UNAVAILABLE (not a timeout)', async function () {
      const started = Date.now();
      const err = await grpcError(get('replica-1', 'greeting', 1_000_000, 600));
      assert.equal(err.code, status.UNAVAILABLE);
      assert.match(err.details, /not yet min_position 1000000/);
      assert.ok(Date.now() - started >= 500, 'it waited');
    });
  });

  it('repairs a replica whose stored keys were changed behind its back (anti-entropy)', async function () {
    const { result } = await put('primary', 'ae/keep', 'right');
    await put('primary', 'ae/gone', 'present');
    await get('replica-2', 'ae/gone', result!.position + 1);
    const db = new Database(join(outputDir('data', 'state'), 'replica-2', 'state.db'));
    try {
      db.prepare("UPDATE kv SET value = ? WHERE key = 'ae/keep'").run(Buffer.from('corrupted'));
      db.prepare("DELETE FROM kv WHERE key = 'ae/gone'").run();
    } finally {
      db.close();
    }
    await waitFor(
      'replica-2 to be repaired',
      async () => {
        const keep = await get('replica-2', 'ae/keep');
        const gone = await get('replica-2', 'ae/gone');
        return Buffer.from(keep.value).toString() === 'right' && gone.found;
      },
      // The disk is checked every 10th round of sync.interval (500 ms here), then repaired.
      { timeoutMs: 20000, intervalMs: 200 },
    );
    assert.ok((await c.metric('replica-2', 'shoal_state_repaired_keys_total')) >= 2);
  });

  it('loses no acknowledged write when the primary is killed -9 and restarted', async function () {
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      await put('primary', `durable/${i}`, String(i));
      acked.push(`durable/${i}`);
    }
    await c.nodes.node('primary').kill();
    await c.nodes.restart('primary');
    await waitFor('the primary to serve as primary again', async () => (await c.position('primary')).role === NodeRole.NODE_ROLE_PRIMARY, { timeoutMs: 20000 });
    for (const key of acked) assert.equal((await get('primary', key)).found, true, key);
    await c.waitForReplicas('primary', 2);
    const after = await put('primary', 'durable/after-restart', 'ok');
    // Another start of the primary takes over only with a new term (by compare-and-set), named with its incarnation.
    assert.equal(after.result!.term, 2, 'the restarted primary took a new term');
    const { record } = await readLeader(new ConsulApi(c.consul.address), c.name);
    assert.equal(record?.reason, 'restarted with its data');
  });
});
