import assert from 'node:assert/strict';
import { checkSet } from '../../common/history/checkSet';
import { historyOf, type Operation } from '../../common/history/operations';

describe('checkSet', function () {
  let ids = 0;
  const add = (key: string, startMs: number, outcome: Operation['outcome'] = 'ok', client = 'c1'): Operation => ({
    id: ++ids,
    client,
    op: 'write',
    key,
    value: 'x',
    outcome,
    startMs,
    endMs: startMs + 5,
  });
  const final = (...keys: string[]) => new Set(keys);

  it('passes when every acknowledged add is in the final read, with unknown adds present or not', function () {
    const h = historyOf([add('set/c1-1', 0), add('set/c2-1', 1, 'ok', 'c2'), add('set/c1-2', 10, 'unknown'), add('set/c2-2', 11, 'unknown', 'c2')]);
    const r = checkSet(h, 'set/', final('set/c1-1', 'set/c2-1', 'set/c1-2'));
    assert.deepEqual(r.verdict, { checker: 'set', valid: true, problems: [] });
    assert.deepEqual(
      { acknowledged: r.acknowledged, unknownPresent: r.unknownPresent, unknownAbsent: r.unknownAbsent, lost: r.lost },
      { acknowledged: 2, unknownPresent: 1, unknownAbsent: 1, lost: [] },
    );
  });

  it('names an acknowledged add missing from the final read as lost', function () {
    const h = historyOf([add('set/c1-1', 0), add('set/c1-2', 10)]);
    const r = checkSet(h, 'set/', final('set/c1-1'));
    assert.equal(r.verdict.valid, false);
    assert.deepEqual(r.lost, ['set/c1-2']);
    assert.match(r.verdict.problems[0], /^set\/c1-2: the acknowledged #\d+ c1 write set\/c1-2 "x" ok .* is lost: the final read does not list it$/);
  });

  it('names an element no add wrote as unexpected', function () {
    const h = historyOf([add('set/c1-1', 0)]);
    const r = checkSet(h, 'set/', final('set/c1-1', 'set/ghost'));
    assert.equal(r.verdict.valid, false);
    assert.deepEqual(r.unexpected, ['set/ghost']);
    assert.match(r.verdict.problems[0], /^set\/ghost: the final read lists it, but no add of the history wrote it$/);
  });

  it('lists a failed add found at the end apart, without failing the verdict', function () {
    const h = historyOf([add('set/c1-1', 0), add('set/c1-2', 10, 'fail')]);
    const r = checkSet(h, 'set/', final('set/c1-1', 'set/c1-2'));
    assert.equal(r.verdict.valid, true);
    assert.deepEqual(r.presentAfterFail, ['set/c1-2']);
  });

  it('judges only the adds under its prefix', function () {
    const h = historyOf([add('set/c1-1', 0), add('register/a', 1)]);
    const r = checkSet(h, 'set/', final('set/c1-1'));
    assert.equal(r.verdict.valid, true);
    assert.equal(r.acknowledged, 1);
  });
});
