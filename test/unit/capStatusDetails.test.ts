import assert from 'node:assert/strict';
import { capDetails, MAX_DETAILS_BYTES } from '../../common/grpc/capStatusDetails';

describe('the cap on status details', function () {
  it('keeps short details as they are', function () {
    assert.equal(capDetails('incarnation "abc" is not this node’s'), 'incarnation "abc" is not this node’s');
  });

  it('cuts long details to what encodes within the limit, between characters, and says how much was cut', function () {
    for (const long of ['x'.repeat(50_000), '😀'.repeat(20_000), `a${'é😀'.repeat(10_000)}`]) {
      const capped = capDetails(long);
      // grpc-js sends details through encodeURI: it must not throw, and must stay within the limit.
      assert.ok(encodeURI(capped).length <= MAX_DETAILS_BYTES, `${encodeURI(capped).length} bytes encoded`);
      assert.match(capped, /… \(\d+ more characters cut\)$/);
      assert.ok(long.startsWith(capped.slice(0, capped.indexOf('…'))));
    }
  });

  it('replaces a lone surrogate, on which encodeURI would throw', function () {
    assert.equal(capDetails('bad \uD83D here'), 'bad \uFFFD here');
    assert.doesNotThrow(() => encodeURI(capDetails(`${'a'.repeat(3000)}\uDE00`)));
  });
});
