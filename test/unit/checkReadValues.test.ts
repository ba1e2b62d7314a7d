import assert from 'node:assert/strict';
import { checkReadValues } from '../../common/history/checkReadValues';
import { historyOf, type Operation } from '../../common/history/operations';

describe('checkReadValues', function () {
  let ids = 0;
  const op = (o: Partial<Operation> & Pick<Operation, 'op' | 'key' | 'startMs' | 'endMs'>): Operation => ({ id: ++ids, client: 'c1', outcome: 'ok', ...o });
  const write = (value: string, startMs: number, endMs: number, outcome: Operation['outcome'] = 'ok') =>
    op({ op: 'write', key: 'k', value, startMs, endMs, outcome });
  const read = (value: string | null, startMs: number, endMs: number) => op({ client: 'r', op: 'read', key: 'k', value, startMs, endMs });

  it('passes reads of written values, of absent keys, and of writes still in flight or unknown', function () {
    const h = historyOf([read(null, 0, 5), write('1', 10, 20), read('1', 30, 40), write('2', 50, 90, 'unknown'), read('2', 60, 70)]);
    assert.deepEqual(checkReadValues(h), { checker: 'read values', valid: true, problems: [] });
  });

  it('catches a dirty read: a value only a write that did not take effect wrote', function () {
    const h = historyOf([write('1', 10, 20, 'fail'), read('1', 12, 18)]);
    const v = checkReadValues(h);
    assert.equal(v.valid, false);
    assert.match(v.problems[0], /^dirty read: #\d+ r read k → "1" ok .* returned what only #\d+ c1 write k "1" fail .* wrote, which did not take effect$/);
  });

  it('catches a phantom: a value nothing wrote, or only a write invoked after the read had ended', function () {
    const v = checkReadValues(historyOf([write('1', 10, 20), read('2', 30, 40), read('3', 50, 60), write('3', 70, 80)]));
    assert.equal(v.valid, false);
    assert.equal(v.problems.length, 2);
    assert.match(v.problems[0], /^phantom read: .* read k → "2"/);
    assert.match(v.problems[1], /^phantom read: .* read k → "3"/);
  });

  it('judges each key apart: a value written to another key does not count', function () {
    const v = checkReadValues(historyOf([op({ op: 'write', key: 'other', value: '1', startMs: 0, endMs: 5 }), read('1', 10, 20)]));
    assert.equal(v.valid, false);
  });
});
