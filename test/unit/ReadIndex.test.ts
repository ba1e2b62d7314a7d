import assert from 'node:assert/strict';
import { ReadIndex } from '../../services/node/replication/ReadIndex';
import { ReplicaEchoes } from '../../services/node/replication/ReplicaEchoes';

/** A round that the test settles by hand. */
function manualRounds() {
  const rounds: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const index = new ReadIndex(() => new Promise<void>((resolve, reject) => rounds.push({ resolve, reject })));
  return { index, rounds };
}

describe('ReadIndex: batched leadership confirmations for consistent reads', function () {
  it('starts one round for the first read, and one more for all reads that arrive while it runs', async function () {
    const { index, rounds } = manualRounds();
    const first = index.confirm();
    const later = Array.from({ length: 64 }, () => index.confirm());
    assert.equal(rounds.length, 1, 'one round in flight at a time');
    let laterDone = false;
    void Promise.all(later).then(() => (laterDone = true));
    rounds[0].resolve();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.equal(rounds.length, 2, 'the 64 reads share the next round');
    assert.equal(laterDone, false, 'a read that arrived during a round is not confirmed by it');
    rounds[1].resolve();
    await Promise.all(later);
  });

  it('fails the reads of a failed round, and the next read starts afresh', async function () {
    const { index, rounds } = manualRounds();
    const read = index.confirm();
    rounds[0].reject(new Error('no quorum'));
    await assert.rejects(read, /no quorum/);
    const again = index.confirm();
    assert.equal(rounds.length, 2);
    rounds[1].resolve();
    await again;
  });
});

describe('ReplicaEchoes: sequences the primary sends and replicas echo', function () {
  it('confirms a round once the needed replicas echo a message sent after it began', async function () {
    const echoes = new ReplicaEchoes({ needed: 2, keepMs: 1000 });
    const old = echoes.stamp();
    let pinged = 0;
    echoes.onPing(() => (pinged += 1));
    let confirmed = false;
    const round = echoes.confirm(AbortSignal.timeout(5000)).then(() => (confirmed = true));
    assert.equal(pinged, 1, 'every stream is asked to send at once');
    echoes.echo('r1', old);
    echoes.echo('r2', old);
    await new Promise((r) => setImmediate(r));
    assert.equal(confirmed, false, 'echoes of a message sent before the round prove nothing about it');
    const fresh = echoes.stamp();
    echoes.echo('r1', fresh);
    await new Promise((r) => setImmediate(r));
    assert.equal(confirmed, false, 'one echo is not the two needed');
    echoes.echo('r3', fresh);
    await round;
  });

  it('returns when an echoed message was sent, for the lease; nothing for one never sent', function () {
    let now = 1000;
    const echoes = new ReplicaEchoes({ needed: 1, keepMs: 500, now: () => now });
    const s = echoes.stamp();
    now = 1300;
    assert.equal(echoes.echo('r1', s), 1000, 'the lease counts from the send, not the answer');
    assert.equal(echoes.echo('r1', s + 5), undefined);
  });

  it('ends a round that gets too few echoes with the signal’s reason', async function () {
    const echoes = new ReplicaEchoes({ needed: 2, keepMs: 1000 });
    await assert.rejects(echoes.confirm(AbortSignal.timeout(20)), /timeout|aborted/i);
  });
});
