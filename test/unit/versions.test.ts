import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareHybrid, HybridClock } from '../../services/node/store/hybridClock';
import { resolveVersions, type VersionStamp } from '../../services/node/store/resolveVersions';
import { clockEntries, compareClocks, mergeClocks, tick, type VectorClock } from '../../services/node/store/vectorClock';

const nodeIds = fc.constantFrom('primary', 'replica-1', 'replica-2', 'worker-1');
const clock: fc.Arbitrary<VectorClock> = fc.dictionary(nodeIds, fc.nat({ max: 20 }));
const hybrid = fc.record({ physicalMs: fc.integer({ min: 0, max: 10 }), logical: fc.nat({ max: 3 }) });
const stamp: fc.Arbitrary<VersionStamp> = fc.record({ vclock: clock, hlc: hybrid, origin: nodeIds });
const same = (a: VectorClock, b: VectorClock) => compareClocks(a, b) === 'equal';
/** A version's content, whatever object holds it. */
const canonical = (v: VersionStamp) => JSON.stringify([clockEntries(v.vclock), v.hlc.physicalMs, v.hlc.logical, v.origin]);

describe('vector clocks', function () {
  it('merge is commutative, associative and idempotent', function () {
    fc.assert(
      fc.property(clock, clock, clock, (a, b, c) => {
        assert.ok(same(mergeClocks(a, b), mergeClocks(b, a)));
        assert.ok(same(mergeClocks(mergeClocks(a, b), c), mergeClocks(a, mergeClocks(b, c))));
        assert.ok(same(mergeClocks(a, a), a));
      }),
    );
  });

  it('a merge has seen both sides', function () {
    fc.assert(
      fc.property(clock, clock, (a, b) => {
        const m = mergeClocks(a, b);
        assert.ok(['after', 'equal'].includes(compareClocks(m, a)));
        assert.ok(['after', 'equal'].includes(compareClocks(m, b)));
      }),
    );
  });

  it('compare is antisymmetric: a before b exactly when b after a', function () {
    const flip = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;
    fc.assert(fc.property(clock, clock, (a, b) => assert.equal(compareClocks(b, a), flip[compareClocks(a, b)])));
  });

  it('a tick makes the clock strictly later', function () {
    fc.assert(fc.property(clock, nodeIds, (a, node) => assert.equal(compareClocks(tick(a, node), a), 'after')));
  });

  it('two nodes writing from the same version are concurrent', function () {
    fc.assert(fc.property(clock, (base) => assert.equal(compareClocks(tick(base, 'primary'), tick(base, 'replica-1')), 'concurrent')));
  });
});

describe('resolving two versions of a key', function () {
  it('picks the same winner whichever version a node holds and whichever arrives', function () {
    fc.assert(
      fc.property(stamp, stamp, (a, b) => {
        const onNodeHoldingA = resolveVersions(a, b).winner === 'incoming' ? b : a;
        const onNodeHoldingB = resolveVersions(b, a).winner === 'incoming' ? a : b;
        assert.equal(canonical(onNodeHoldingA), canonical(onNodeHoldingB));
      }),
      { numRuns: 2000 },
    );
  });

  it('lets the causally newer version win regardless of clocks', function () {
    fc.assert(
      fc.property(stamp, hybrid, nodeIds, (older, hlc, origin) => {
        const newer = { vclock: tick(older.vclock, origin), hlc, origin };
        assert.equal(resolveVersions(older, newer).winner, 'incoming');
        assert.equal(resolveVersions(newer, older).winner, 'current');
        assert.equal(resolveVersions(older, newer).concurrent, false);
      }),
    );
  });

  it('resolves concurrent versions by hybrid time, then node id, and says so', function () {
    const base = { primary: 1 };
    const a = { vclock: tick(base, 'primary'), hlc: { physicalMs: 5, logical: 0 }, origin: 'primary' };
    const b = { vclock: tick(base, 'replica-1'), hlc: { physicalMs: 5, logical: 0 }, origin: 'replica-1' };
    const r = resolveVersions(a, b);
    assert.deepEqual([r.winner, r.concurrent], ['incoming', true]);
    assert.match(r.reason, /higher node id/);
    const later = { ...a, hlc: { physicalMs: 6, logical: 0 } };
    assert.equal(resolveVersions(later, b).winner, 'current');
  });
});

describe('HybridClock', function () {
  it('never goes backwards, even when the wall clock does, and moves past observed readings', function () {
    let wall = 1000;
    const hlc = new HybridClock(() => wall);
    const first = hlc.now();
    wall = 900;
    const second = hlc.now();
    assert.equal(compareHybrid(second, first), 1);
    hlc.observe({ physicalMs: 5000, logical: 7 });
    assert.deepEqual(hlc.now(), { physicalMs: 5000, logical: 8 });
    wall = 6000;
    assert.deepEqual(hlc.now(), { physicalMs: 6000, logical: 0 });
  });
});
