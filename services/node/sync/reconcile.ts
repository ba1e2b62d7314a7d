import { status } from '@grpc/grpc-js';
import { context, propagation } from '@opentelemetry/api';
import type { ReconcileRequest, ReconcileResponse } from '../../../gen/shoal/v1/sync';
import { ServerError } from '../../../common/grpc/ServerError';
import type { SyncDeps } from './server';
import { entryFromProto } from '../replication/wire';
import { resolveVersions } from '../store/resolveVersions';
import type { Entry, Stored } from '../store/types';
import { notPrimary, replicationOf } from './primaryRedirect';

/**
 * Takes the entries an old primary wrote but never got acknowledged. For each key, its latest
 * such entry is weighed against this primary's current version: the causally newer one wins;
 * truly concurrent ones resolve last-write-wins (and are recorded as conflicts). Winning
 * entries are written again, in this term, so they replicate like any write; `written` hears
 * their keys once they are.
 */
export async function reconcile(deps: SyncDeps, request: ReconcileRequest, written: (keys: string[]) => void): Promise<ReconcileResponse> {
  const r = replicationOf(deps, 'Reconcile');
  if (request.term > r.term) {
    r.observeTerm(request.term, `Reconcile from ${request.fromNode}`);
    throw new ServerError(status.FAILED_PRECONDITION, `term ${request.term} is newer than this node's; it is no longer primary`);
  }
  const writer = r.writer;
  if (r.role !== 'primary' || !writer) throw notPrimary(deps, 'Reconcile');
  const latest = new Map<string, Entry>();
  /** Each key's first entry in the old primary's suffix: version 1 when the key was created there. */
  const first = new Map<string, Entry>();
  const entries = request.entries.map(entryFromProto).sort((a, b) => a.position - b.position);
  for (const e of entries) {
    latest.set(e.key, e);
    if (!first.has(e.key)) first.set(e.key, e);
  }
  // Keys purged here since the two logs parted.
  const purgedHere = new Set(entries.length > 0 ? r.store.purgedAfter(entries[0].position - 1) : []);
  let discarded = 0;
  let conflicts = 0;
  const applied: string[] = [];
  for (const e of latest.values()) {
    // A purge is the old primary's housekeeping of a done event: this primary does its own. The
    // event may be delivered once more here (delivery is at least once).
    if (e.op === 'purge') {
      discarded += 1;
      continue;
    }
    const current = r.store.stored(e.key);
    // The key existed when the logs parted, and this primary purged it since (or holds no row of
    // it): what the old primary wrote of it belongs to what is gone here (a done event), and
    // writing it back would bring that back, or overwrite the key published anew.
    if (first.get(e.key)!.version > 1 && (!current || purgedHere.has(e.key))) {
      discarded += 1;
      continue;
    }
    const incoming: Stored = {
      key: e.key,
      value: e.value,
      version: e.version,
      position: e.position,
      deleted: e.op === 'delete',
      hlc: e.hlc,
      origin: e.origin,
      vclock: e.vclock,
    };
    const resolution = current ? resolveVersions(current, incoming) : { winner: 'incoming' as const, concurrent: false, reason: 'the key is new here' };
    if (resolution.winner === 'incoming') {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      await writer.write({
        op: e.op,
        key: e.key,
        value: e.value,
        traceParent: carrier.traceparent ?? '',
        deadlineMs: Date.now() + deps.sync.ackTimeout,
        waitForAcks: false,
        mergeClock: e.vclock,
      });
      applied.push(e.key);
    } else {
      discarded += 1;
    }
    if (resolution.concurrent && current) {
      conflicts += 1;
      const [winner, loser] = resolution.winner === 'incoming' ? [incoming, current] : [current, incoming];
      r.recordConflict({ resolvedAtMs: Date.now(), key: e.key, winner, loser, reason: resolution.reason, resolvedBy: deps.identity.id });
    }
  }
  deps.logger.info(
    { from: request.fromNode, entries: request.entries.length, applied: applied.length, discarded, conflicts },
    'reconciled entries of an old primary',
  );
  if (applied.length > 0) written(applied);
  return { applied: applied.length, discarded, conflicts };
}
