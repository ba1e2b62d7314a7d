import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { AckTracker } from '../../services/node/replication/AckTracker';
import { EntryFeed } from '../../services/node/replication/EntryFeed';
import { PrimaryWriter, VersionMismatch } from '../../services/node/replication/PrimaryWriter';
import { HybridClock } from '../../services/node/store/hybridClock';
import { StateStore } from '../../services/node/store/StateStore';

describe('PrimaryWriter: writes of several ops (one replica acknowledging)', function () {
  let dir: string;
  let store: StateStore;
  let acks: AckTracker;
  let writer: PrimaryWriter;
  const deadline = () => Date.now() + 2000;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'shoal-writer-'));
    store = new StateStore(join(dir, 'state.db'), 'always');
    store.startTerm(1, 1);
    acks = new AckTracker(1);
    acks.connect('replica-1', 0);
    writer = new PrimaryWriter(store, new EntryFeed(store), acks, new HybridClock(), 'primary', 1, pino({ level: 'silent' }));
  });

  afterEach(function () {
    writer.close('test over');
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes every op as consecutive entries, with its own trace parent, acknowledged once the replica has the last', async function () {
    const written = writer.writeAll({
      ops: [
        { op: 'put', key: 'a', value: Buffer.from('1'), expectedVersion: 0, traceParent: '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01' },
        { op: 'put', key: 'b', value: Buffer.from('2') },
        { op: 'put', key: 'a', value: Buffer.from('3'), expectedVersion: 1 },
      ],
      traceParent: '00-cccccccccccccccccccccccccccccccc-dddddddddddddddd-01',
      deadlineMs: deadline(),
    });
    let settled = false;
    void written.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(store.lastPosition, 3, 'committed in one flush');
    acks.ack('replica-1', 2);
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'not acknowledged before the replica has every entry of it');
    acks.ack('replica-1', 3);
    const outcomes = await written;
    assert.deepEqual(
      outcomes.map((o) => [o.position, o.version]),
      [
        [1, 1],
        [2, 1],
        [3, 2],
      ],
    );
    assert.deepEqual(
      store.readEntries(1, 10).map((e) => [e.key, e.traceParent.slice(3, 7)]),
      [
        ['a', 'aaaa'],
        ['b', 'cccc'],
        ['a', 'cccc'],
      ],
    );
  });

  it('purges a live key (a later op of the same write sees it gone), and skips a purge of a key that is not there', async function () {
    await writer.write({ op: 'put', key: 'event', value: Buffer.from('queued'), traceParent: '', deadlineMs: deadline(), waitForAcks: false });
    await writer.write({ op: 'put', key: 'event', value: Buffer.from('retried'), traceParent: '', deadlineMs: deadline(), waitForAcks: false });
    const outcomes = await writer.writeAll({
      ops: [
        { op: 'purge', key: 'event', value: Buffer.alloc(0) },
        { op: 'put', key: 'event', value: Buffer.from('published again'), expectedVersion: 0 },
        { op: 'purge', key: 'never-written', value: Buffer.alloc(0) },
      ],
      traceParent: '',
      deadlineMs: deadline(),
      waitForAcks: false,
    });
    assert.deepEqual(
      outcomes.map((o) => [o.written, o.version]),
      [
        [true, 3],
        [true, 1],
        [false, 0],
      ],
    );
    assert.equal(store.stored('event')?.version, 1, 'written again after a purge, a key starts over');
    assert.equal(store.stored('never-written'), undefined);
    assert.deepEqual(
      store.readEntries(3, 10).map((e) => e.op),
      ['purge', 'put'],
    );
  });

  it('writes none of the ops when one compare-and-set fails, and leaves the other writes of the flush alone', async function () {
    await writer.write({ op: 'put', key: 'taken', value: Buffer.from('x'), traceParent: '', deadlineMs: deadline(), waitForAcks: false });
    acks.ack('replica-1', 1);
    const failing = writer.writeAll({
      ops: [
        { op: 'put', key: 'new', value: Buffer.from('1'), expectedVersion: 0 },
        { op: 'put', key: 'taken', value: Buffer.from('2'), expectedVersion: 0 },
      ],
      traceParent: '',
      deadlineMs: deadline(),
    });
    const other = writer.write({
      op: 'put',
      key: 'new',
      value: Buffer.from('other'),
      expectedVersion: 0,
      traceParent: '',
      deadlineMs: deadline(),
      waitForAcks: false,
    });
    await assert.rejects(failing, (err: Error) => err instanceof VersionMismatch && /key "taken" is at version 1, not the expected 0/.test(err.message));
    const outcome = await other;
    assert.deepEqual([outcome.position, outcome.version], [2, 1], 'the failed write took no position and no version');
    assert.equal(store.stored('new')?.value.toString(), 'other');
    assert.equal(store.lastPosition, 2);
  });
});
