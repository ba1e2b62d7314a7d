import { strict as assert } from 'node:assert';
import { getEventListeners } from 'node:events';
import { pause } from '../../common/time/pause';

describe('pause (the wait of every control loop)', () => {
  it('leaves no abort listener behind on a long-lived signal, however many times a loop pauses on it', async () => {
    const stopping = new AbortController();
    for (let i = 0; i < 20; i++) await pause(1, stopping.signal);
    assert.equal(getEventListeners(stopping.signal, 'abort').length, 0);
  });

  it('resolves at once when the signal aborts, and at once for a signal aborted already', async () => {
    const stopping = new AbortController();
    const started = performance.now();
    const waiting = pause(60_000, stopping.signal);
    stopping.abort();
    await waiting;
    await pause(60_000, stopping.signal);
    assert.ok(performance.now() - started < 1000, 'neither waited out its minute');
    assert.equal(getEventListeners(stopping.signal, 'abort').length, 0);
  });
});
