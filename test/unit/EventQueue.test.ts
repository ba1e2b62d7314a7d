import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EventQueue } from '../../services/node/events/EventQueue';
import { encodeRecord, type EventRecord } from '../../services/node/events/eventRecord';
import { PrimaryWriter } from '../../services/node/replication/PrimaryWriter';
import { StateStore } from '../../services/node/store/StateStore';
import type { Entry } from '../../services/node/store/types';
import { eventKey } from '../../services/node/store/systemKeys';
import { waitFor } from '../../common/time/waitFor';
import { lonePrimary } from '../support/lonePrimary';

describe('EventQueue over a real store (a primary with no replicas, no gRPC)', function () {
  let dir: string;
  let store: StateStore;
  let writer: PrimaryWriter;
  let queue: EventQueue;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'shoal-queue-'));
    store = new StateStore(join(dir, 'state.db'), 'always');
    store.startTerm(1, 1);
  });

  afterEach(function () {
    queue?.close();
    writer?.close('test over');
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = (position: number, id: string, state: EventRecord['state'], doneAtMs?: number): Entry => ({
    position,
    term: 1,
    op: 'put',
    key: eventKey(id),
    value: encodeRecord({ id, type: 'hash', key: '', payload: '', publishedAtMs: 1, attempts: 0, state, lastError: '', result: '', traceparent: '', doneAtMs }),
    version: 1,
    hlc: { physicalMs: 1000 + position, logical: 0 },
    origin: 'primary',
    vclock: { primary: 1 },
    traceParent: '',
  });

  /** A queue on `store` as a primary of term 1 with no replicas (minAcks 0) has it. */
  const start = (dedupeWindow: number) => {
    const primary = lonePrimary(store, pino({ level: 'silent' }));
    writer = primary.writer;
    const deps = primary.deps;
    queue = new EventQueue(deps, { leaseMs: 30_000, maxAttempts: 5, handlerTimeout: 25_000, concurrency: 4, dedupeWindow });
  };

  it('rebuilding, removes the done events an earlier version kept and keyed ones past their window, keeps a keyed one within it, and queues the rest', async function () {
    // As an earlier version left a store (every done event kept, no done time), and a keyed event done two minutes ago.
    const twoMinutesAgo = Date.now() - 120_000;
    store.applyEntries([
      stored(1, 'old-done', 'done'),
      stored(2, 'k-b3JkZXI', 'done'),
      stored(3, 'waiting', 'pending'),
      stored(4, 'failed', 'dead'),
      stored(5, 'k-ZXhwaXJlZA', 'done', twoMinutesAgo),
    ]);
    start(60_000);
    const backlog = queue.backlog();
    assert.deepEqual([backlog.pending, backlog.dead, backlog.done], [1, 1, 0], 'done counts events done since this node became primary');
    await waitFor(
      'the old done events removed',
      () => store.stored(eventKey('old-done')) === undefined && store.stored(eventKey('k-ZXhwaXJlZA')) === undefined,
      { timeoutMs: 5000, intervalMs: 20 },
    );
    assert.ok(store.stored(eventKey('k-b3JkZXI')), 'a keyed done event stays for events.dedupeWindow');
    assert.equal(store.keyCount, 3);
    assert.deepEqual(
      store
        .readEntries(6, 10)
        .map((e) => [e.op, e.key])
        .sort(),
      [
        ['purge', eventKey('k-ZXhwaXJlZA')],
        ['purge', eventKey('old-done')],
      ],
    );
  });

  it('rebuilding, skips a malformed record with an error naming its key and position, and queues the records after it', async function () {
    const malformed = (position: number, id: string, value: Buffer): Entry => ({ ...stored(position, id, 'pending'), value });
    store.applyEntries([
      stored(1, 'before', 'pending'),
      malformed(2, 'not-json', Buffer.from('{"id": "not-json", ')),
      malformed(3, 'no-state', Buffer.from(JSON.stringify({ id: 'no-state', type: 'hash', attempts: 0 }))),
      stored(4, 'after', 'pending'),
      stored(5, 'failed', 'dead'),
    ]);
    const logged: Record<string, unknown>[] = [];
    const primary = lonePrimary(store, pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line) as Record<string, unknown>) }));
    writer = primary.writer;
    queue = new EventQueue(primary.deps, { leaseMs: 30_000, maxAttempts: 5, handlerTimeout: 25_000, concurrency: 4, dedupeWindow: 60_000 });

    const backlog = queue.backlog();
    assert.deepEqual([backlog.pending, backlog.dead], [2, 1], 'the events before and after the malformed ones are queued');
    const skipped = logged.filter((l) => l.msg === 'skipped a malformed event record');
    assert.deepEqual(
      skipped.map((l) => [l.key, l.position]),
      [
        [eventKey('not-json'), 2],
        [eventKey('no-state'), 3],
      ],
    );
    assert.match(String(skipped[0].err), /^malformed event record: not JSON/);
    assert.match(String(skipped[1].err), /^malformed event record: key: Invalid input: expected string, received undefined/);
    assert.deepEqual(
      queue.deadLetters(10).map((e) => e.id),
      ['failed'],
    );
    await assert.rejects(queue.redrive('no-state', Date.now() + 1000), /event no-state cannot be redriven: its stored malformed event record/);
    assert.ok(store.stored(eventKey('not-json')), 'the malformed record stays in the store for an operator');
  });

  it('does not remove a keyed event that is no longer the done one (its key was published anew)', async function () {
    store.applyEntries([stored(1, 'k-b25l', 'done'), stored(2, 'k-dHdv', 'done')]);
    start(300);
    queue.backlog();
    // As if a removal of the second had been committed, and its key published again, before the sweep.
    store.applyEntries([stored(3, 'k-dHdv', 'pending')]);
    await waitFor('the first removed', () => store.stored(eventKey('k-b25l')) === undefined, { timeoutMs: 5000, intervalMs: 20 });
    assert.ok(store.stored(eventKey('k-dHdv')), 'the event published anew stays');
    assert.deepEqual(
      store.readEntries(4, 10).map((e) => [e.op, e.key]),
      [['purge', eventKey('k-b25l')]],
    );
  });
});
