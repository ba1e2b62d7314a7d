import { type ServiceError, status } from '@grpc/grpc-js';
import { WRITTEN_METADATA_KEY } from '../cluster/primaryMetadataKey';
import type { OpKind } from './event';

/**
 * What an error from the State client says of the operation's effect: `fail` only when it
 * certainly took none, else `unknown`. With it, the error as a line: its code name and message.
 *
 * - A read has no effect, so a failed read is a `fail` whatever the error.
 * - ABORTED (a compare-and-set that found another version) and INVALID_ARGUMENT (a request
 *   every node refuses the same way) took no effect.
 * - `shoal-written: false` proves nothing was written only for a compare-and-set: the client
 *   retries a cas only after attempts that wrote nothing, but retries a plain write or delete
 *   after any UNAVAILABLE (and when the primary moves under it), so the attempt that says
 *   "nothing written" may follow one that was applied.
 * - Anything else (a deadline, `outcome unknown`, UNAVAILABLE without that header) is unknown.
 */
export function outcomeOfError(op: OpKind, err: unknown): { outcome: 'fail' | 'unknown'; error: string } {
  const e = err as Partial<ServiceError>;
  const code = typeof e.code === 'number' ? e.code : undefined;
  const error = `${code === undefined ? 'error' : status[code]}: ${e.details || e.message || String(err)}`;
  if (op === 'read') return { outcome: 'fail', error };
  if (code === status.ABORTED || code === status.INVALID_ARGUMENT) return { outcome: 'fail', error };
  const nothingWritten = e.metadata?.get(WRITTEN_METADATA_KEY)[0] === 'false';
  return { outcome: op === 'cas' && nothingWritten ? 'fail' : 'unknown', error };
}
