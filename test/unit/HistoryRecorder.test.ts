import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import { HistoryRecorder } from '../../common/history/HistoryRecorder';
import { operations } from '../../common/history/operations';

/** An error as the State client rejects with: a gRPC code, details and trailing metadata. */
function grpcError(code: status, details: string, written?: 'false'): Error {
  const metadata = new Metadata();
  if (written) metadata.set('shoal-written', written);
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
}

describe('HistoryRecorder', function () {
  let t = 0;
  const recorder = () => new HistoryRecorder(() => (t += 10));

  it('records an acknowledged write as an invoke and an ok, with what the answer says', async function () {
    const r = recorder();
    const result = await r.record(
      { client: 'c1', op: 'write', key: 'k', value: 'v' },
      () => Promise.resolve(7),
      (n) => ({ term: n, node: 'n1:1' }),
    );
    assert.equal(result, 7);
    const [invoke, ok] = r.history;
    assert.deepEqual({ ...invoke, timeMs: 0 }, { id: 1, client: 'c1', op: 'write', key: 'k', value: 'v', type: 'invoke', timeMs: 0 });
    assert.equal(ok.type, 'ok');
    assert.equal(ok.term, 7);
    assert.equal(ok.node, 'n1:1');
    assert.ok(ok.timeMs > invoke.timeMs);
  });

  it('records a read with the value it got, its invoke without one', async function () {
    const r = recorder();
    await r.record(
      { client: 'c1', op: 'read', key: 'k' },
      () => Promise.resolve('x'),
      (v) => ({ value: v }),
    );
    assert.deepEqual(
      r.history.map((e) => [e.type, e.value]),
      [
        ['invoke', undefined],
        ['ok', 'x'],
      ],
    );
  });

  it('rethrows an error and records it as fail only when the operation certainly took no effect', async function () {
    const r = recorder();
    const cases: [Parameters<HistoryRecorder['record']>[0]['op'], Error, string][] = [
      ['cas', grpcError(status.ABORTED, 'version mismatch'), 'fail'],
      ['write', grpcError(status.INVALID_ARGUMENT, 'key too long'), 'fail'],
      ['cas', grpcError(status.UNAVAILABLE, 'too few replicas', 'false'), 'fail'],
      // The client retries a plain write after any UNAVAILABLE: an earlier attempt may have been applied.
      ['write', grpcError(status.UNAVAILABLE, 'too few replicas', 'false'), 'unknown'],
      ['write', grpcError(status.UNAVAILABLE, 'replicas did not ack'), 'unknown'],
      ['cas', grpcError(status.UNKNOWN, 'outcome unknown: the primary moved'), 'unknown'],
      ['delete', grpcError(status.DEADLINE_EXCEEDED, 'deadline'), 'unknown'],
      ['delete', new Error('socket hang up'), 'unknown'],
      ['read', grpcError(status.UNAVAILABLE, 'lease expired'), 'fail'],
    ];
    for (const [op, err] of cases)
      await assert.rejects(
        r.record(
          { client: 'c1', op, key: 'k', value: 'v' },
          () => Promise.reject(err),
          () => ({}),
        ),
        err,
      );
    const outcomes = operations(r.history).map((o) => o.outcome);
    assert.deepEqual(
      outcomes,
      cases.map(([, , outcome]) => outcome),
    );
    assert.equal(operations(r.history)[0].error, 'ABORTED: version mismatch');
    assert.equal(operations(r.history)[7].error, 'error: socket hang up');
  });

  it('counts an operation still in flight as unknown', function () {
    const r = recorder();
    void r.record(
      { client: 'c1', op: 'write', key: 'k', value: 'v' },
      () => new Promise(() => {}),
      () => ({}),
    );
    const [o] = operations(r.history);
    assert.equal(o.outcome, 'unknown');
    assert.equal(o.endMs, Infinity);
  });

  it('saves the history as one JSON object a line', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'history-'));
    try {
      const r = recorder();
      await r.record(
        { client: 'c1', op: 'write', key: 'k', value: 'v' },
        () => Promise.resolve(1),
        () => ({ term: 1 }),
      );
      r.save(join(dir, 'sub', 'h.jsonl'));
      const lines = readFileSync(join(dir, 'sub', 'h.jsonl'), 'utf8')
        .trimEnd()
        .split('\n');
      assert.deepEqual(
        lines.map((l) => (JSON.parse(l) as { type: string }).type),
        ['invoke', 'ok'],
      );
      assert.deepEqual(
        lines.map((l) => JSON.parse(l) as unknown),
        r.history,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('operations', function () {
  it('refuses a completion without an invoke', function () {
    assert.throws(() => operations([{ id: 3, client: 'c', type: 'ok', op: 'write', key: 'k', timeMs: 1 }]), /operation 3 completes \(ok\) without an invoke/);
  });
});
