import { strict as assert } from 'node:assert';
import { status } from '@grpc/grpc-js';
import pino from 'pino';
import { DomainError } from '../../common/errors/DomainError';
import { invalidArgument } from '../../common/grpc/ServerError';
import { toStatus } from '../../common/grpc/toStatus';

/** A logger that keeps what it was told. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

describe('toStatus (the one place a handler failure becomes a gRPC status)', () => {
  it('gives each domain error kind its status code, with its message as details', () => {
    const { logger, lines } = recordingLogger();
    const expected: [DomainError['kind'], status][] = [
      ['invalid-input', status.INVALID_ARGUMENT],
      ['not-found', status.NOT_FOUND],
      ['conflict', status.ABORTED],
      ['precondition', status.FAILED_PRECONDITION],
      ['unavailable', status.UNAVAILABLE],
      ['exhausted', status.RESOURCE_EXHAUSTED],
    ];
    for (const [kind, code] of expected) {
      const s = toStatus(new DomainError(kind, `a ${kind} failure`), logger, 'Put');
      assert.equal(s.code, code, kind);
      assert.equal(s.details, `a ${kind} failure`);
    }
    assert.equal(lines.length, 0, 'a domain error is an answer, not a bug: nothing is logged');
  });

  it("sends a domain error's hints as trailing metadata", () => {
    const { logger } = recordingLogger();
    const s = toStatus(new DomainError('precondition', 'writes go to the primary', { 'shoal-primary': '10.0.0.1:8080' }), logger, 'Put');
    assert.deepEqual(s.metadata?.get('shoal-primary'), ['10.0.0.1:8080']);
  });

  it('keeps the code and details of a ServerError the edge threw', () => {
    const { logger } = recordingLogger();
    const s = toStatus(invalidArgument('key must not be empty'), logger, 'Put');
    assert.deepEqual([s.code, s.details], [status.INVALID_ARGUMENT, 'key must not be empty']);
  });

  it('answers an aborted wait CANCELLED and a timed-out one DEADLINE_EXCEEDED, without logging them as failures', () => {
    const { logger, lines } = recordingLogger();
    const aborted = new AbortController();
    aborted.abort();
    assert.equal(toStatus(aborted.signal.reason, logger, 'Get').code, status.CANCELLED);
    assert.equal(toStatus(new DOMException('timed out', 'TimeoutError'), logger, 'Get').code, status.DEADLINE_EXCEEDED);
    assert.equal(lines.length, 0);
  });

  it('answers anything else INTERNAL without its message, and logs it with its stack', () => {
    const { logger, lines } = recordingLogger();
    const s = toStatus(new TypeError('cannot read properties of undefined (secret internals)'), logger, 'Put');
    assert.equal(s.code, status.INTERNAL);
    assert.equal(s.details, 'internal error in Put');
    assert.equal(lines.length, 1);
    assert.match(String((lines[0].err as { stack: string }).stack), /TypeError: cannot read properties/);
  });
});
