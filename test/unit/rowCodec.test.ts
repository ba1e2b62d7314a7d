import assert from 'node:assert/strict';
import { clockFromJson, clockToJson, fromKvRow, fromLogRow, type LogRow, OPS, toKvRow } from '../../services/node/store/rowCodec';
import { rowHash } from '../../services/node/store/rowDigest';
import type { Stored } from '../../services/node/store/types';

describe("the store's row codec", function () {
  const stored: Stored = {
    key: 'a',
    value: Buffer.from('1'),
    version: 3,
    position: 7,
    deleted: false,
    hlc: { physicalMs: 1000, logical: 2 },
    origin: 'primary',
    vclock: { primary: 3, 'replica-1': 1 },
  };

  const logRow = (op: number): LogRow => ({
    position: 7,
    term: 2,
    op,
    key: 'a',
    value: null,
    version: 3,
    hlc_ms: 1000,
    hlc_logical: 2,
    origin: 'primary',
    vclock: '[["primary",3]]',
    trace_parent: '',
    expected_version: null,
  });

  it("reads a version back from the kv row it writes, with the row's own hash", function () {
    const row = toKvRow(stored, false);
    assert.equal(row.hash, rowHash(row));
    assert.deepEqual(fromKvRow(row), stored);
  });

  it('writes a tombstone without its value, and reads it back with an empty one', function () {
    const row = toKvRow(stored, true);
    assert.equal(row.value, null);
    assert.equal(row.deleted, 1);
    assert.deepEqual(fromKvRow(row), { ...stored, value: Buffer.alloc(0), deleted: true });
  });

  it('reads every op it writes from a log row, and an absent value as an empty one', function () {
    for (const [name, code] of Object.entries(OPS)) {
      const entry = fromLogRow(logRow(code));
      assert.equal(entry.op, name);
      assert.deepEqual(entry.value, Buffer.alloc(0));
      assert.deepEqual(entry.vclock, { primary: 3 });
    }
  });

  it('refuses a log row whose op it does not know, rather than read it as a put', function () {
    assert.throws(() => fromLogRow(logRow(9)), /log entry at position 7 has op 9, which this version of shoal does not know/);
  });

  it('keeps a vector clock as JSON of its sorted entries without zeros, and reads it back', function () {
    const json = clockToJson({ b: 2, a: 1, c: 0 });
    assert.equal(json, '[["a",1],["b",2]]');
    assert.deepEqual(clockFromJson(json), { a: 1, b: 2 });
  });
});
