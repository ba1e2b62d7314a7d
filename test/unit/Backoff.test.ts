import assert from 'node:assert/strict';
import { Backoff } from '../../common/net/Backoff';

describe('Backoff', function () {
  it('doubles its ceiling per attempt up to the maximum, jittered to 50-100% of it', function () {
    const b = new Backoff({ initialMs: 100, maxMs: 1000 });
    const ceilings = [100, 200, 400, 800, 1000, 1000];
    for (const ceiling of ceilings) {
      const delay = b.next();
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `${delay} within [${ceiling / 2}, ${ceiling}]`);
    }
  });

  it('starts over after reset()', function () {
    const b = new Backoff({ initialMs: 100, maxMs: 10000 });
    for (let i = 0; i < 5; i++) b.next();
    b.reset();
    assert.ok(b.next() <= 100);
  });

  it('wakes early, without throwing, when its signal aborts', async function () {
    const b = new Backoff({ initialMs: 60000, maxMs: 60000 });
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 20);
    await b.wait(abort.signal);
    assert.ok(Date.now() - started < 5000);
  });
});
