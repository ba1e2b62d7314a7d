import { credentials } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { GetRequest, PutRequest } from '../../gen/shoal/v1/state';
import { waitFor } from '../../common/time/waitFor';
import { EntryFeed } from '../../services/node/replication/EntryFeed';
import { Follower } from '../../services/node/replication/Follower';
import { HybridClock } from '../../services/node/store/hybridClock';
import { StateStore } from '../../services/node/store/StateStore';
import type { Entry } from '../../services/node/store/types';
import { call } from '../support/grpcClients';
import { type RpcNode, startRpcNode } from '../support/rpcNode';

/**
 * A real Follower, over its own store, whose log holds entries of term 1 that the primary (an
 * in-process node promoted to term 2 after position 1) never had: it hands them over through
 * Reconcile and starts again from a snapshot.
 */
describe('an old primary’s follower handing its diverged entries over', function () {
  let primary: RpcNode;
  let dir: string;
  let store: StateStore;
  let follower: Follower | undefined;
  const logs: Record<string, unknown>[] = [];

  beforeEach(async function () {
    primary = await startRpcNode();
    await call(primary.state, primary.state.put, PutRequest.fromPartial({ key: 'shared', value: Buffer.from('base') }));
    dir = mkdtempSync(join(tmpdir(), 'shoal-diverged-'));
    store = new StateStore(join(dir, 'state.db'), 'batch');
    // Position 1 is common to both logs; then the primary moves on in term 2.
    store.applyEntries(primary.store.readEntries(1, 1));
    await primary.replication.promote(2, 'a failover, in the test');
    logs.length = 0;
  });

  afterEach(async function () {
    await follower?.stop();
    follower = undefined;
    store.close();
    rmSync(dir, { recursive: true, force: true });
    await primary.stop();
  });

  /** The old primary's write at `position`, in term 1. */
  const oldEntry = (position: number, key: string, value: string, version: number, expectedVersion?: number): Entry => ({
    position,
    term: 1,
    op: 'put',
    key,
    value: Buffer.from(value),
    version,
    hlc: { physicalMs: Date.now() + 60_000, logical: position },
    origin: 'primary',
    vclock: { primary: version },
    traceParent: '',
    ...(expectedVersion !== undefined && { expectedVersion }),
  });
  const follow = () => {
    follower = new Follower(
      {
        store,
        feed: new EntryFeed(store),
        clock: new HybridClock(),
        nodeId: 'old-primary',
        logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }),
        credentials: credentials.createInsecure(),
        heartbeatMs: 200,
        antiEntropyMs: 60_000,
        onNewerTerm: (term) => store.adoptTerm(term),
        onRepaired: () => undefined,
      },
      { term: 2, primaryId: 'primary', primaryAddress: primary.address },
    );
    follower.start();
  };
  const caughtUp = () =>
    waitFor('the follower to reconcile and install a snapshot of the primary', () => follower!.connected && store.lastPosition === primary.store.lastPosition, {
      timeoutMs: 10_000,
      describe: () => JSON.stringify(logs.at(-1)),
    });
  const get = async (key: string) => {
    const r = await call(primary.state, primary.state.get, GetRequest.fromPartial({ key }));
    return r.found ? Buffer.from(r.value).toString() : undefined;
  };

  it('hands over every entry from fork + 1, its compare-and-set kept conditional: one acknowledged here since stands', async function () {
    await call(primary.state, primary.state.put, PutRequest.fromPartial({ key: 'shared', value: Buffer.from('cas-on-new'), expectedVersion: 1 }));
    // More entries than one page of the log read, many keys: all of it arrives.
    const suffix = [oldEntry(2, 'shared', 'cas-on-old', 2, 1), ...Array.from({ length: 1500 }, (_, i) => oldEntry(3 + i, `only-old/${i}`, 'kept', 1))];
    store.applyEntries(suffix);
    follow();
    await caughtUp();
    const handed = primary.logs.find((l) => l.msg === 'reconciled entries of an old primary');
    assert.equal(handed?.fork, 1);
    assert.equal(await get('shared'), 'cas-on-new');
    assert.equal(await get('only-old/0'), 'kept');
    assert.equal(await get('only-old/1499'), 'kept');
    assert.equal(primary.store.conflictsResolved(), 1);
    assert.equal(logs.filter((l) => l.level === 50).length, 0, 'nothing to report as lost');
  });

  it('records the positions its log no longer held as lost, with an error naming how many, and hands over the rest', async function () {
    store.applyEntries(Array.from({ length: 29 }, (_, i) => oldEntry(2 + i, `old/${i}`, 'written', 1)));
    // sync.retainEntries dropped positions 2..20 from the old primary's log.
    store.truncateBelow(21);
    follow();
    await caughtUp();
    const error = logs.find((l) => l.level === 50);
    assert.equal(
      error?.msg,
      'diverged positions could not be handed over for reconciliation: the log no longer held them; their writes are lost (recorded in the conflict log)',
    );
    assert.deepEqual([error.from, error.to, error.positions, error.keys], [2, 20, 19, 19]);
    assert.equal(await get('old/0'), undefined, 'not applied: whether it was a compare-and-set is unknown');
    assert.equal(await get('old/19'), 'written', 'position 21 on is handed over');
    assert.equal(await get('old/28'), 'written');
    // Kept in this node's conflict log, across the snapshot it installed.
    const lost = store.conflicts(100);
    assert.deepEqual(lost.map((c) => c.key).sort(), Array.from({ length: 19 }, (_, i) => `old/${i}`).sort());
    assert.equal(lost[0].winner, undefined);
    assert.match(lost[0].reason, /^not handed over for reconciliation: positions 2-20 of this node's diverged log were no longer retained/);
  });
});
