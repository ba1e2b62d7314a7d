import assert from 'node:assert/strict';
import { checkLinearizable } from '../../common/history/checkLinearizable';
import type { KeyValue } from '../../common/history/event';
import { historyOf, type Operation } from '../../common/history/operations';

/** A small seeded generator (mulberry32), so a failing case can be run again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A history of `clients` clients on one register, made by a sequential model: each operation
 * takes effect at an instant inside its [start, end], and reads see what the model held then.
 */
function modelHistory(seed: number, clients: number, perClient: number): Operation[] {
  const rnd = random(seed);
  const planned: { client: string; startMs: number; atMs: number; endMs: number; kind: 'read' | 'write' }[] = [];
  for (let c = 0; c < clients; c++) {
    let t = rnd() * 10;
    for (let i = 0; i < perClient; i++) {
      const startMs = t;
      const atMs = startMs + rnd() * 20;
      const endMs = atMs + rnd() * 20;
      planned.push({ client: `c${c}`, startMs, atMs, endMs, kind: rnd() < 0.5 ? 'read' : 'write' });
      t = endMs + rnd() * 5;
    }
  }
  let value: KeyValue = null;
  let n = 0;
  return planned
    .sort((a, b) => a.atMs - b.atMs)
    .map((p): Operation => {
      n += 1;
      if (p.kind === 'write') value = `v${n}`;
      return { id: n, client: p.client, op: p.kind, key: 'k', value, outcome: 'ok', startMs: p.startMs, endMs: p.endMs };
    });
}

describe('checkLinearizable', function () {
  let ids = 0;
  const op = (o: Partial<Operation> & Pick<Operation, 'op' | 'startMs' | 'endMs'>): Operation => ({ id: ++ids, client: 'c1', key: 'k', outcome: 'ok', ...o });
  const write = (value: string, startMs: number, endMs: number, outcome: Operation['outcome'] = 'ok') => op({ op: 'write', value, startMs, endMs, outcome });
  const read = (value: KeyValue, startMs: number, endMs: number) => op({ client: 'r', op: 'read', value, startMs, endMs });
  const cas = (from: KeyValue, to: KeyValue, startMs: number, endMs: number, outcome: Operation['outcome'] = 'ok') =>
    op({ op: 'cas', expected: { version: 0, value: from }, value: to, startMs, endMs, outcome });
  const check = (ops: Operation[], maxSteps?: number) => checkLinearizable(historyOf(ops), { maxSteps });

  describe('passes', function () {
    it('a sequential history', function () {
      const v = check([
        read(null, 0, 1),
        write('1', 2, 3),
        read('1', 4, 5),
        cas('1', '2', 6, 7),
        read('2', 8, 9),
        op({ op: 'delete', value: null, startMs: 10, endMs: 11 }),
        read(null, 12, 13),
      ]);
      assert.deepEqual(v, { checker: 'linearizable per key', valid: true, problems: [] });
    });

    it('reads concurrent with a write that see either value, in an order that fits', function () {
      assert.equal(check([write('1', 0, 1), write('2', 10, 40), read('2', 15, 20), read('2', 25, 30)]).valid, true);
      assert.equal(check([write('1', 0, 1), write('2', 10, 40), read('1', 15, 20), read('2', 25, 30)]).valid, true);
    });

    it('an unknown write that takes effect long after it timed out, or never', function () {
      assert.equal(check([write('1', 0, 10), write('2', 20, 30, 'unknown'), read('1', 40, 50), read('2', 60, 70)]).valid, true);
      assert.equal(check([write('1', 0, 10), write('2', 20, 30, 'unknown'), read('1', 40, 50)]).valid, true);
    });

    it('a cas that lost the race (failed) next to one that won', function () {
      assert.equal(check([write('a', 0, 1), cas('a', 'b', 2, 10), cas('a', 'c', 3, 11, 'fail'), read('b', 12, 13)]).valid, true);
    });

    it('histories made by a sequential model, concurrent ones included', function () {
      for (let seed = 1; seed <= 50; seed++) {
        const v = check(modelHistory(seed, 4, 15));
        assert.equal(v.valid, true, `seed ${seed}: ${v.problems.join('\n')}`);
      }
    });
  });

  describe('catches and names', function () {
    it('a stale read after an acknowledged write', function () {
      const v = check([write('1', 0, 10), write('2', 20, 30), read('1', 40, 50)]);
      assert.equal(v.valid, false);
      assert.match(v.problems[0], /^k: no order of its 3 operations is a register's history\. .*leaves the key "2"; then #\d+ r read k → "1" ok/);
    });

    it('a lost write: a read that misses a write acknowledged before it began', function () {
      const v = check([write('1', 0, 10), read(null, 20, 30)]);
      assert.equal(v.valid, false);
      assert.match(v.problems[0], /read k → absent ok/);
    });

    it('a compare-and-set that succeeded twice from one value', function () {
      const v = check([write('a', 0, 1), cas('a', 'b', 2, 3), cas('a', 'c', 4, 5)]);
      assert.equal(v.valid, false);
      assert.match(v.problems[0], /cas k "a"→"c" ok/);
    });

    it('a read of a value never written, and one only a failed write wrote', function () {
      assert.equal(check([write('1', 0, 10), read('9', 20, 30)]).valid, false);
      assert.equal(check([write('1', 0, 10), write('2', 12, 18, 'fail'), read('2', 20, 30)]).valid, false);
    });

    it('an unknown write seen, then unseen', function () {
      assert.equal(check([write('1', 0, 10), write('2', 20, 30, 'unknown'), read('2', 40, 50), read('1', 60, 70)]).valid, false);
    });

    it('a model history with one read turned stale: it returns a value overwritten before it began', function () {
      let mutated = 0;
      for (let seed = 1; seed <= 50; seed++) {
        const ops = modelHistory(seed, 3, 15);
        const writes = ops.filter((o) => o.op === 'write');
        // A read, and a write w1 certainly followed by a write w2 that certainly ended before the read.
        const target = ops
          .filter((o) => o.op === 'read')
          .map((r) => ({ r, w1: writes.find((w1) => writes.some((w2) => w1.endMs < w2.startMs && w2.endMs < r.startMs)) }))
          .find((c) => c.w1 !== undefined);
        if (!target) continue;
        mutated += 1;
        const v = check(ops.map((o) => (o === target.r ? { ...o, value: target.w1!.value } : o)));
        assert.equal(v.valid, false, `seed ${seed}: reading ${target.w1!.value} in #${target.r.id} went unnoticed`);
      }
      assert.ok(mutated >= 40, `only ${mutated} of 50 histories had a read to turn stale`);
    });
  });

  it('reports a key it cannot decide within its bound as too large to check, never as a pass', function () {
    // Many concurrent unknown writes: every subset in every order is a candidate.
    const ops = [...Array.from({ length: 16 }, (_, i) => write(`w${i}`, i, 1000, 'unknown')), read('none', 2000, 2001)];
    const v = check(ops, 1000);
    assert.equal(v.valid, 'unknown');
    assert.match(v.problems[0], /^k: too large to check \(17 operations, gave up after 1000 search steps\)$/);
  });
});
