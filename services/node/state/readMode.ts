import { ReadConsistency } from '../../../gen/shoal/v1/state';
import { DomainError } from '../../../common/errors/DomainError';
import { invalidArgument } from '../../../common/grpc/ServerError';
import { AckTimeout } from '../replication/AckTracker';
import type { PrimaryWriter } from '../replication/PrimaryWriter';
import { notPrimary, type RedirectDeps, replicationOf } from '../sync/primaryRedirect';
import type { StateReplication } from './server';

/** Where a read is answered: the node's replication, its writer when it is the primary, and whether the answer may miss acknowledged writes. */
export interface ReadSite {
  r: StateReplication;
  /** The primary's writer: its reads wait for the acks of what they touch (no dirty reads). */
  writer: PrimaryWriter | undefined;
  mayBeStale: boolean;
}

/** The request's consistency as one of the three modes; INVALID_ARGUMENT for a value this node does not know. */
export function modeOf(consistency: ReadConsistency): 'default' | 'consistent' | 'stale' {
  switch (consistency) {
    case ReadConsistency.READ_CONSISTENCY_UNSPECIFIED:
    case ReadConsistency.READ_CONSISTENCY_DEFAULT:
      return 'default';
    case ReadConsistency.READ_CONSISTENCY_CONSISTENT:
      return 'consistent';
    case ReadConsistency.READ_CONSISTENCY_STALE:
      return 'stale';
    default:
      throw invalidArgument(
        `consistency ${consistency as number} is not one of READ_CONSISTENCY_DEFAULT (1), READ_CONSISTENCY_CONSISTENT (2), READ_CONSISTENCY_STALE (3)`,
      );
  }
}

/**
 * Decides which node answers a read of `consistency` (docs/consistency.md): stale reads any
 * primary or replica at once (not one whose store awaits a snapshot); default and consistent
 * only the primary, others redirect (FAILED_PRECONDITION with "shoal-primary"); default while
 * the primary holds its lease, consistent once a quorum confirmed it (a batched read-index
 * round), within the call's deadline.
 */
export async function readSite(
  deps: RedirectDeps<StateReplication>,
  consistency: ReadConsistency,
  what: string,
  deadlineMs: number,
  signal: AbortSignal,
): Promise<ReadSite> {
  const mode = modeOf(consistency);
  const r = replicationOf(deps, what);
  if (mode === 'stale') {
    if (r.reinstalling)
      throw new DomainError(
        'unavailable',
        `${deps.identity.id} is reinstalling its state from a snapshot and holds nothing to read yet; read elsewhere or retry`,
      );
    const writer = r.role === 'primary' ? r.writer : undefined;
    return { r, writer, mayBeStale: !(writer && r.leaseHeld) };
  }
  if (r.role !== 'primary' || !r.writer) throw notPrimary(deps, `a ${mode} ${what} (only a stale one may go to any node)`);
  if (mode === 'default') r.assertLease();
  else await beforeDeadline(r.confirmPrimary(), deadlineMs, signal, `the confirmation that ${deps.identity.id} is still the primary`);
  const writer = r.writer;
  if (r.role !== 'primary' || !writer) throw notPrimary(deps, `a ${mode} ${what}`);
  return { r, writer, mayBeStale: false };
}

/**
 * On the primary: waits until every write that `need` names (PrimaryWriter.unacknowledged) is
 * acknowledged, asking again after each wait since new writes may have come meanwhile; then
 * returns. UNAVAILABLE at the deadline (or when the term ends here): the read would otherwise
 * show a write that a failover could drop.
 */
export async function untilAcknowledged(writer: PrimaryWriter, need: () => number, what: string, deadlineMs: number, signal: AbortSignal): Promise<void> {
  for (let position = need(); position > 0; position = need()) {
    try {
      await writer.acks.waitFor(position, deadlineMs, signal);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (!(err instanceof AckTimeout)) throw err;
      throw new DomainError(
        'unavailable',
        `a write to ${what} (position ${position}) awaits its acks from the replicas (acknowledged up to ${writer.acks.acknowledged}): the read would show a write that is not acknowledged; retry`,
      );
    }
  }
}

/** `p`, or UNAVAILABLE naming `what` when the deadline comes first; the signal's reason when it aborts. */
async function beforeDeadline<T>(p: Promise<T>, deadlineMs: number, signal: AbortSignal, what: string): Promise<T> {
  const timeout = AbortSignal.timeout(Math.max(0, deadlineMs - Date.now()));
  const either = AbortSignal.any([timeout, signal]);
  let off: (() => void) | undefined;
  const ended = new Promise<never>((_, reject) => {
    const onAbort = () =>
      reject(signal.aborted ? (signal.reason as Error) : new DomainError('unavailable', `${what} did not come before the call's deadline; retry`));
    either.addEventListener('abort', onAbort, { once: true });
    off = () => either.removeEventListener('abort', onAbort);
  });
  try {
    return await Promise.race([p, ended]);
  } finally {
    off?.();
  }
}
