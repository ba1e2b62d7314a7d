import assert from 'node:assert/strict';
import { checkAckedWrites } from '../../common/history/checkAckedWrites';
import { historyOf, type Operation } from '../../common/history/operations';

describe('checkAckedWrites', function () {
  let ids = 0;
  const op = (o: Partial<Operation> & Pick<Operation, 'op' | 'key' | 'startMs' | 'endMs'>): Operation => ({ id: ++ids, client: 'c1', outcome: 'ok', ...o });
  const write = (key: string, value: string, startMs: number, endMs: number, outcome: Operation['outcome'] = 'ok') =>
    op({ op: 'write', key, value, startMs, endMs, outcome });
  const finals = (entries: Record<string, string | null>) => new Map(Object.entries(entries));

  it('passes when every acknowledged write is there with its value', function () {
    const h = historyOf([write('a', '1', 0, 10), write('b', '2', 20, 30), write('a', '3', 40, 50)]);
    const v = checkAckedWrites(h, finals({ a: '3', b: '2' }));
    assert.deepEqual(v, { checker: 'acknowledged writes', valid: true, problems: [] });
  });

  it('names an acknowledged write that is missing at the end as lost', function () {
    const h = historyOf([write('a', '1', 0, 10), write('b', '2', 20, 30)]);
    const v = checkAckedWrites(h, finals({ a: '1', b: null }));
    assert.equal(v.valid, false);
    assert.equal(v.problems.length, 1);
    assert.match(v.problems[0], /^b: the acknowledged #\d+ c1 write b "2" ok .* is lost: the key is absent at the end/);
  });

  it('names the acknowledged write that an older value replaced at the end', function () {
    const h = historyOf([write('a', '1', 0, 10), write('a', '2', 20, 30)]);
    const v = checkAckedWrites(h, finals({ a: '1' }));
    assert.equal(v.valid, false);
    assert.match(v.problems[0], /write a "2" ok .* is lost: the key is "1" at the end, set only by writes that came before it/);
  });

  it('accepts a final value from a later write whose outcome is unknown, even one that timed out long ago', function () {
    const h = historyOf([write('a', '1', 0, 10), write('a', '2', 20, 5000, 'unknown')]);
    assert.equal(checkAckedWrites(h, finals({ a: '2' })).valid, true);
    // The unknown write may also never have happened.
    assert.equal(checkAckedWrites(h, finals({ a: '1' })).valid, true);
  });

  it('accepts either of two concurrent acknowledged writes as the last', function () {
    const h = historyOf([write('a', '1', 0, 30), op({ client: 'c2', op: 'write', key: 'a', value: '2', startMs: 10, endMs: 20 })]);
    assert.equal(checkAckedWrites(h, finals({ a: '1' })).valid, true);
    assert.equal(checkAckedWrites(h, finals({ a: '2' })).valid, true);
  });

  it('accepts an absence that an acknowledged or possibly applied delete explains', function () {
    const acked = historyOf([write('a', '1', 0, 10), op({ op: 'delete', key: 'a', value: null, startMs: 20, endMs: 30 })]);
    assert.equal(checkAckedWrites(acked, finals({ a: null })).valid, true);
    const unknown = historyOf([
      write('a', '1', 0, 10),
      op({ op: 'cas', key: 'a', value: null, expected: { version: 1, value: '1' }, startMs: 20, endMs: 30, outcome: 'unknown' }),
    ]);
    assert.equal(checkAckedWrites(unknown, finals({ a: null })).valid, true);
  });

  it('does not let a write known to have failed explain the final value', function () {
    const h = historyOf([write('a', '1', 0, 10), write('a', '2', 20, 30, 'fail')]);
    const v = checkAckedWrites(h, finals({ a: '2' }));
    assert.equal(v.valid, false);
    assert.match(v.problems[0], /write a "1" ok .* is lost: the key is "2" at the end, which no write that may have taken effect set/);
  });

  it('asks for a final read of every key with an acknowledged write', function () {
    const v = checkAckedWrites(historyOf([write('a', '1', 0, 10)]), finals({}));
    assert.deepEqual(v.problems, ['a has 1 acknowledged write(s) but no final read to check them against']);
  });
});
