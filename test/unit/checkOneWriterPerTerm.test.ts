import assert from 'node:assert/strict';
import { checkOneWriterPerTerm } from '../../common/history/checkOneWriterPerTerm';
import { historyOf, type Operation } from '../../common/history/operations';

describe('checkOneWriterPerTerm', function () {
  let ids = 0;
  const ack = (node: string, term: number, startMs: number, endMs: number, outcome: Operation['outcome'] = 'ok'): Operation => ({
    id: ++ids,
    client: 'c1',
    op: 'write',
    key: `k${ids}`,
    value: 'v',
    outcome,
    startMs,
    endMs,
    node,
    term,
  });

  it('passes one node per term, terms growing over time', function () {
    const h = historyOf([ack('n1:1', 1, 0, 10), ack('n1:1', 1, 20, 30), ack('n2:1', 2, 40, 50), ack('n2:1', 2, 45, 55)]);
    assert.deepEqual(checkOneWriterPerTerm(h), { checker: 'one writer per term', valid: true, problems: [] });
  });

  it('passes an old-term acknowledgement concurrent with the first of the new term (it may have come first)', function () {
    assert.equal(checkOneWriterPerTerm(historyOf([ack('n2:1', 2, 0, 20), ack('n1:1', 1, 10, 30)])).valid, true);
  });

  it('catches two nodes acknowledging in one term', function () {
    const v = checkOneWriterPerTerm(historyOf([ack('n1:1', 3, 0, 10), ack('n2:1', 3, 20, 30)]));
    assert.equal(v.valid, false);
    assert.match(v.problems[0], /^term 3 was acknowledged by n1:1 and n2:1: #\d+ c1 write .* at n1:1 term 3; #\d+ .* at n2:1 term 3$/);
  });

  it('catches an old primary acknowledging after the new term had been acknowledged', function () {
    const v = checkOneWriterPerTerm(historyOf([ack('n1:1', 1, 0, 10), ack('n2:1', 2, 20, 30), ack('n1:1', 1, 40, 50)]));
    assert.equal(v.valid, false);
    assert.equal(v.problems.length, 1);
    assert.match(v.problems[0], /at n1:1 term 1 was acknowledged in term 1 after #\d+ .* at n2:1 term 2 had been, in the newer term 2$/);
  });

  it('ignores writes that were not acknowledged', function () {
    const h = historyOf([ack('n2:1', 2, 0, 10), ack('n1:1', 1, 20, 30, 'unknown'), ack('n3:1', 2, 40, 50, 'fail')]);
    assert.equal(checkOneWriterPerTerm(h).valid, true);
  });
});
