import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import {
  type GetResponse,
  type ListResponse,
  ReadConsistency,
  type StateClient as StateGrpcClient,
  type WatchResponse,
  type WriteResult,
} from '../../gen/shoal/v1/state';
import { failover } from '../../common/cluster/changePrimary';
import { PRIMARY_METADATA_KEY } from '../../common/cluster/primaryMetadataKey';
import { unaryCall } from '../../common/client/grpcCall';
import { waitFor } from '../../common/time/waitFor';
import { grpcError } from '../support/grpcClients';
import { runCli } from '../support/runCli';
import { StateCluster } from '../support/stateCluster';
import { outputDir } from '../support/testConsul';

const { READ_CONSISTENCY_DEFAULT: DEFAULT, READ_CONSISTENCY_CONSISTENT: CONSISTENT, READ_CONSISTENCY_STALE: STALE } = ReadConsistency;

describe('read consistency: default, consistent and stale reads, and no dirty reads (a primary, 2 replicas; minAcks 1)', function () {
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster: 'reads', sync: { minAcks: 1 } });
  });

  after(async function () {
    await c?.stop();
  });

  const state = (node: string): StateGrpcClient => c.node(node).state;
  const put = (key: string, value: string, timeoutMs = 5000) =>
    unaryCall<{ result?: WriteResult }>((m, o, cb) => state('primary').put({ key, value: Buffer.from(value) }, m, o, cb), Date.now() + timeoutMs);
  const del = (key: string, timeoutMs = 5000) =>
    unaryCall<{ deleted: boolean; result?: WriteResult }>((m, o, cb) => state('primary').delete({ key }, m, o, cb), Date.now() + timeoutMs);
  const get = (node: string, key: string, consistency: ReadConsistency, timeoutMs = 5000, minPosition = 0) =>
    unaryCall<GetResponse>((m, o, cb) => state(node).get({ key, minPosition, consistency }, m, o, cb), Date.now() + timeoutMs);
  const list = (node: string, prefix: string, consistency: ReadConsistency, timeoutMs = 5000) =>
    unaryCall<ListResponse>((m, o, cb) => state(node).list({ prefix, limit: 0, pageToken: '', consistency }, m, o, cb), Date.now() + timeoutMs);
  const replicas = () => ['replica-1', 'replica-2'].map((id) => c.nodes.node(id));

  it('answers default and consistent reads on the primary, saying its term and that they are not stale', async function () {
    const { result } = await put('modes/a', 'one');
    for (const consistency of [DEFAULT, CONSISTENT, ReadConsistency.READ_CONSISTENCY_UNSPECIFIED]) {
      const r = await get('primary', 'modes/a', consistency);
      assert.deepEqual([r.found, Buffer.from(r.value).toString(), r.term, r.nodeId, r.mayBeStale], [true, 'one', result!.term, 'primary', false]);
      assert.ok(r.position >= result!.position, `answered at ${r.position}, after the write at ${result!.position}`);
    }
    const page = await list('primary', 'modes/', CONSISTENT);
    assert.deepEqual(
      page.entries.map((e) => e.key),
      ['modes/a'],
    );
    assert.equal(page.mayBeStale, false);
  });

  it('redirects default and consistent reads from a replica to the primary, and answers stale ones there at once, saying so', async function () {
    const { result } = await put('modes/b', 'two');
    for (const consistency of [DEFAULT, CONSISTENT]) {
      const err = await grpcError(get('replica-1', 'modes/b', consistency));
      assert.equal(err.code, status.FAILED_PRECONDITION);
      assert.match(err.details, /^a (default|consistent) read \(only a stale one may go to any node\) must go to the primary; replica-1 is a replica/);
      assert.deepEqual(err.metadata.get(PRIMARY_METADATA_KEY), [c.nodes.grpc('primary')]);
      const listErr = await grpcError(list('replica-2', 'modes/', consistency));
      assert.equal(listErr.code, status.FAILED_PRECONDITION);
    }
    const r = await get('replica-1', 'modes/b', STALE, 5000, result!.position);
    assert.deepEqual([r.found, Buffer.from(r.value).toString(), r.nodeId, r.mayBeStale, r.term], [true, 'two', 'replica-1', true, result!.term]);
    assert.ok(r.position >= result!.position);
    const page = await list('replica-2', 'modes/', STALE);
    assert.equal(page.mayBeStale, true);
    assert.equal(page.nodeId, 'replica-2');
  });

  it('refuses a consistency it does not know with INVALID_ARGUMENT naming the modes', async function () {
    const err = await grpcError(get('primary', 'modes/a', 9 as ReadConsistency));
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.match(err.details, /consistency 9 is not one of READ_CONSISTENCY_DEFAULT/);
  });

  it('reads through the CLI with --consistency, and refuses a bad mode or a default read --from a replica', async function () {
    await put('modes/cli', 'via cli');
    const env = { CONSUL_HTTP_ADDR: c.consul.address };
    const consistent = await runCli(['get', 'modes/cli', '--cluster', 'reads', '--consistency', 'consistent'], env);
    assert.equal(consistent.code, 0, consistent.stderr);
    assert.equal(consistent.stdout.trim(), 'via cli');
    assert.match(consistent.stderr, /from primary/);
    const stale = await runCli(['ls', 'modes/', '--cluster', 'reads', '--from', 'replica-1'], env);
    assert.equal(stale.code, 0, stale.stderr);
    assert.match(stale.stdout, /modes\/cli/);
    const bad = await runCli(['get', 'modes/cli', '--cluster', 'reads', '--consistency', 'strong'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--consistency must be one of default, consistent, stale \(got "strong"\)/);
    const fromReplica = await runCli(['get', 'modes/cli', '--cluster', 'reads', '--from', 'replica-1', '--consistency', 'default'], env);
    assert.notEqual(fromReplica.code, 0);
    assert.match(fromReplica.stderr, /only --consistency stale does/);
    const help = await runCli(['get', '--help'], env);
    assert.match(help.stdout, /--consistency MODE\s+default \| consistent \| stale/);
  });

  it('shows no write before it is acknowledged: with both replicas paused a Put times out, and Get, List and Watch on the primary do not show it until the replicas resume', async function () {
    await put('paused/k', 'before');
    const watch = state('primary').watch({ prefix: 'paused/', consistency: DEFAULT, fromPosition: 0 });
    const seen: WatchResponse[] = [];
    watch.on('data', (m: WatchResponse) => seen.push(m));
    watch.on('error', () => undefined);
    try {
      await waitFor('the snapshot', () => seen[0], { timeoutMs: 5000 });
      for (const r of replicas()) r.signal('SIGSTOP');
      try {
        const err = await grpcError(put('paused/k', 'after', 800));
        assert.equal(err.code, status.UNAVAILABLE);
        for (const consistency of [DEFAULT, STALE]) {
          const read = await get('primary', 'paused/k', consistency, 600).then(
            (r) => Buffer.from(r.value).toString(),
            (e: { code: number; details: string }) => e,
          );
          assert.notEqual(read, 'after', 'a Get on the primary does not show the unacknowledged write');
          if (typeof read !== 'string') {
            assert.equal(read.code, status.UNAVAILABLE);
            assert.match(read.details, /a write to key "paused\/k" \(position \d+\) awaits its acks/);
          }
        }
        const listed = await list('primary', 'paused/', DEFAULT, 600).catch((e: { code: number }) => e);
        if ('entries' in listed) assert.notEqual(Buffer.from(listed.entries[0].value).toString(), 'after');
        else assert.equal(listed.code, status.UNAVAILABLE);
        // Another key's write commits after it: the watch has had every chance to show it.
        const other = await grpcError(put('elsewhere', 'x', 300));
        assert.equal(other.code, status.UNAVAILABLE);
        assert.deepEqual(
          seen.slice(1).map((m) => m.event?.$case),
          [],
          'the watch shows nothing unacknowledged',
        );
      } finally {
        for (const r of replicas()) r.signal('SIGCONT');
      }
      await waitFor('the watch to show the write once acknowledged', () => seen.find((m) => m.event?.$case === 'change'), { timeoutMs: 15000 });
      const change = seen.find((m) => m.event?.$case === 'change')!.event;
      assert.ok(change?.$case === 'change' && Buffer.from(change.value.entry!.value).toString() === 'after');
      const onPrimary = await get('primary', 'paused/k', CONSISTENT, 10000);
      assert.equal(Buffer.from(onPrimary.value).toString(), 'after');
      for (const id of ['replica-1', 'replica-2']) {
        await waitFor(`${id} to show it`, async () => Buffer.from((await get(id, 'paused/k', STALE)).value).toString() === 'after', { timeoutMs: 15000 });
      }
    } finally {
      watch.cancel();
    }
  });

  it('makes a Delete retried after a timeout wait for the first attempt’s acks, though it finds nothing left to delete', async function () {
    await put('retry/k', 'v');
    for (const r of replicas()) r.signal('SIGSTOP');
    let retried: { deleted: boolean } | undefined;
    let retry: Promise<{ deleted: boolean }> | undefined;
    try {
      const err = await grpcError(del('retry/k', 600));
      assert.equal(err.code, status.UNAVAILABLE);
      retry = del('retry/k', 20000);
      void retry.then((r) => (retried = r));
      // A delete of a key never written, sent after the retry on the same channel: once it is
      // answered, the retry has been through the primary's write path too.
      const nothing = await del('retry/never-written', 5000);
      assert.equal(nothing.deleted, false);
      assert.equal(retried, undefined, 'the retry does not answer while the first attempt is unacknowledged');
    } finally {
      for (const r of replicas()) r.signal('SIGCONT');
    }
    const outcome = await retry;
    assert.equal(outcome.deleted, false, 'the first attempt did the delete');
    const applied = await Promise.all(['replica-1', 'replica-2'].map(async (id) => (await get(id, 'retry/k', STALE)).found));
    assert.ok(applied.includes(false), 'a replica holds the delete once the retry answered');
  });

  it('ends a resumed watch with OUT_OF_RANGE when it names a position past the primary’s log', async function () {
    const watch = state('primary').watch({ prefix: '', consistency: DEFAULT, fromPosition: 10_000_000 }, new Metadata());
    const err = await new Promise<{ code: number; details: string }>((resolve) => watch.on('error', resolve));
    assert.equal(err.code, status.OUT_OF_RANGE);
    assert.match(err.details, /from_position 10000000 is past this primary's log.*watch afresh/);
  });

  it('resumes a watch from a position: only the changes after it, in log order', async function () {
    const first = (await put('resume/a', '1')).result!.position;
    await put('resume/b', '2');
    await put('resume/c', '3');
    const watch = state('replica-1').watch({ prefix: 'resume/', consistency: STALE, fromPosition: first });
    const seen: WatchResponse[] = [];
    watch.on('data', (m: WatchResponse) => seen.push(m));
    watch.on('error', () => undefined);
    try {
      await waitFor('two changes', () => seen.length >= 2, { timeoutMs: 10000 });
      assert.deepEqual(
        seen.map((m) => (m.event?.$case === 'change' ? m.event.value.entry!.key : m.event?.$case)),
        ['resume/b', 'resume/c'],
      );
    } finally {
      watch.cancel();
    }
  });
});

describe('a Delete retried after a timeout, then the primary lost with its data directory (minAcks 1)', function () {
  this.timeout(90_000);
  const cluster = `delete-retry-${process.pid}`;
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster, sync: { minAcks: 1 } });
  });

  after(async function () {
    for (const id of ['replica-1', 'replica-2']) c?.nodes.node(id).signal('SIGCONT');
    await c?.stop();
  });

  const del = (key: string, timeoutMs: number) =>
    unaryCall<{ deleted: boolean }>((m, o, cb) => c.node('primary').state.delete({ key }, m, o, cb), Date.now() + timeoutMs);

  it('keeps the key deleted on the promoted replica when the primary and its disk go the moment the retry answers', async function () {
    await unaryCall((m, o, cb) => c.node('primary').state.put({ key: 'gone', value: Buffer.from('v') }, m, o, cb), Date.now() + 5000);
    const primary = c.nodes.node('primary');
    for (const id of ['replica-1', 'replica-2']) c.nodes.node(id).signal('SIGSTOP');
    const err = await grpcError(del('gone', 600));
    assert.equal(err.code, status.UNAVAILABLE);
    // The client trusts the answer at once: the primary, and the only copy of the delete it holds
    // beyond the replicas, is lost the instant the retry is answered.
    const retry = del('gone', 20_000).then((r) => {
      primary.signal('SIGKILL');
      return r;
    });
    // Sent after the retry on the same channel: once answered, the retry has been through the
    // primary's write path while the replicas could not ack.
    assert.equal((await del('never-written', 5000)).deleted, false);
    for (const id of ['replica-1', 'replica-2']) c.nodes.node(id).signal('SIGCONT');
    assert.equal((await retry).deleted, false, 'the first attempt did the delete');
    await primary.exited;
    rmSync(join(outputDir('data', cluster), 'primary'), { recursive: true, force: true });
    const change = await failover({ consul: c.consul.api, cluster, stateNodeIds: ['primary', 'replica-1', 'replica-2'], timeoutMs: 15_000 });
    assert.notEqual(change.to, 'primary');

    const read = await unaryCall<GetResponse>(
      (m, o, cb) => c.node(change.to).state.get({ key: 'gone', minPosition: 0, consistency: CONSISTENT }, m, o, cb),
      Date.now() + 5000,
    );
    assert.equal(read.found, false, `the new primary ${change.to} shows the key the retry said was deleted`);
  });
});
