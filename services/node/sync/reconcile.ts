import { status } from '@grpc/grpc-js';
import { context, propagation } from '@opentelemetry/api';
import type { ReconcileRequest, ReconcileResponse } from '../../../gen/shoal/v1/sync';
import { ServerError } from '../../../common/grpc/ServerError';
import type { SyncDeps } from './server';
import { entryFromProto } from '../replication/wire';
import { VersionMismatch } from '../replication/PrimaryWriter';
import type { Entry, Stored } from '../store/types';
import { judgeReplay, type PreviousReplay } from './judgeReplay';
import { notPrimary, replicationOf } from './primaryRedirect';
import { checkKey, checkValue } from '../state/limits';
import { EVENTS_PREFIX, isSystemKey } from '../store/systemKeys';
import { decodeRecord, MalformedRecord } from '../events/eventRecord';

/**
 * Takes the entries an old primary wrote but never got acknowledged, each key's in log order.
 * What the old primary overwrote itself with an unconditional write is passed over; from there
 * on each entry is judged against this primary's version of the key (judgeReplay.ts): an
 * unconditional write by causality, then last-write-wins (recorded as a conflict when
 * concurrent); a compare-and-set only if what it expected still holds here, or else recorded as
 * a conflict and not applied. Entries that stand are written again, in this term, so they
 * replicate like any write; `written` hears their keys once they are.
 */
export async function reconcile(deps: SyncDeps, request: ReconcileRequest, written: (keys: string[]) => void): Promise<ReconcileResponse> {
  const r = replicationOf(deps, 'Reconcile');
  if (request.term > r.term) {
    await r.observePeerTerm(request.term, `Reconcile from ${request.fromNode}`);
    throw new ServerError(status.FAILED_PRECONDITION, `term ${request.term} is newer than this node's; it is no longer primary`);
  }
  const writer = r.writer;
  if (r.role !== 'primary' || !writer) throw notPrimary(deps, 'Reconcile');
  const entries = request.entries.map(checkedEntry).sort((a, b) => a.position - b.position);
  const chains = new Map<string, Entry[]>();
  for (const e of entries) {
    const chain = chains.get(e.key);
    if (chain) chain.push(e);
    else chains.set(e.key, [e]);
  }
  // Older nodes send no fork: their first entry is the one after it.
  const fork = request.forkPosition ?? (entries.length > 0 ? entries[0].position - 1 : 0);
  // Keys purged here since the two logs parted.
  const purgedHere = new Set(r.store.purgedAfter(fork));
  let discarded = 0;
  let conflicts = 0;
  const applied: string[] = [];
  for (const [key, chain] of chains) {
    let current = r.store.stored(key);
    // The key existed when the logs parted, and this primary purged it since (or holds no row of
    // it): what the old primary wrote of it belongs to what is gone here (a done event), and
    // writing it back would bring that back, or overwrite the key published anew.
    if (chain[0].version > 1 && (!current || purgedHere.has(key))) {
      discarded += 1;
      continue;
    }
    // An unconditional write made whatever the old primary wrote of the key before it moot.
    let from = chain.length - 1;
    while (from > 0 && chain[from].expectedVersion !== undefined) from -= 1;
    const changedSinceFork = (current !== undefined && current.position > fork) || purgedHere.has(key);
    let previous: PreviousReplay = 'none';
    for (const e of chain.slice(from)) {
      // A purge is the old primary's housekeeping of a done event: this primary does its own. The
      // event may be delivered once more here (delivery is at least once).
      if (e.op === 'purge') {
        discarded += 1;
        previous = 'dropped';
        continue;
      }
      const decision = judgeReplay(e, { current, changedSinceFork, previous });
      let stands = decision.apply;
      let reason = decision.reason;
      if (stands) {
        const carrier: Record<string, string> = {};
        propagation.inject(context.active(), carrier);
        try {
          await writer.write({
            op: e.op,
            key: e.key,
            value: e.value,
            expectedVersion: decision.expectedVersion,
            traceParent: carrier.traceparent ?? '',
            deadlineMs: Date.now() + deps.sync.ackTimeout,
            waitForAcks: false,
            mergeClock: e.vclock,
          });
          applied.push(e.key);
        } catch (err) {
          if (!(err instanceof VersionMismatch)) throw err;
          // A client's write took the key between the decision and the commit.
          stands = false;
          reason = `compare-and-set at version ${e.expectedVersion} no longer holds: ${err.message}`;
        }
      }
      if (!stands) discarded += 1;
      const before = current;
      current = r.store.stored(key);
      if (decision.conflict || stands !== decision.apply) {
        conflicts += 1;
        // Applied, it replaced `before` (a conflict is only ever resolved against a version
        // here); not applied, whatever is here stands (nothing, when the key has no row).
        const incoming = storedOf(e);
        const resolution = stands ? { winner: incoming, loser: before! } : { winner: current, loser: incoming };
        r.recordConflict({ resolvedAtMs: Date.now(), key, ...resolution, reason, resolvedBy: deps.identity.id });
      }
      previous = stands ? 'replayed' : 'dropped';
    }
  }
  deps.logger.info(
    { from: request.fromNode, entries: request.entries.length, fork, applied: applied.length, discarded, conflicts },
    'reconciled entries of an old primary',
  );
  if (applied.length > 0) written([...new Set(applied)]);
  return { applied: applied.length, discarded, conflicts };
}

/**
 * An entry as a node could have written it, or INVALID_ARGUMENT naming what is wrong (and
 * nothing of the request is applied): a user key within State's limits (put or delete), or an
 * event record (put of a record that decodes, delete, purge); no other system key, and no value
 * over State's limit. Even an authenticated peer's word is checked: a buggy one, or one whose
 * store rotted, must not plant a record that breaks the queue or a key users cannot reach.
 */
function checkedEntry(proto: ReconcileRequest['entries'][number], index: number): Entry {
  const at = `entries[${index}]`;
  let e: Entry;
  try {
    e = entryFromProto(proto);
  } catch (err) {
    throw new ServerError(status.INVALID_ARGUMENT, `${at}: ${(err as Error).message}`);
  }
  const refuse = (why: string) => new ServerError(status.INVALID_ARGUMENT, `${at} (position ${e.position}): ${why}; nothing of this Reconcile was applied`);
  const broken = limitBroken(() => checkValue(e.value)) ?? (isSystemKey(e.key) ? undefined : limitBroken(() => checkKey(e.key)));
  if (broken) throw refuse(broken);
  if (!isSystemKey(e.key)) {
    if (e.op === 'purge') throw refuse('a purge is only ever of an event record');
    return e;
  }
  const id = e.key.slice(EVENTS_PREFIX.length);
  if (!e.key.startsWith(EVENTS_PREFIX)) throw refuse('a system key other than an event record');
  const badId = limitBroken(() => checkKey(id, 'the event id'));
  if (badId) throw refuse(badId);
  if (e.op === 'put') {
    try {
      decodeRecord(e.value);
    } catch (err) {
      if (err instanceof MalformedRecord) throw refuse(err.message);
      throw err;
    }
  }
  return e;
}

/** The message of the State limit a check finds broken, or undefined. */
function limitBroken(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    if (err instanceof ServerError) return err.details;
    throw err;
  }
}

/** The version an entry wrote, as the conflict log keeps it. */
function storedOf(e: Entry): Stored {
  return {
    key: e.key,
    value: e.value,
    version: e.version,
    position: e.position,
    deleted: e.op === 'delete',
    hlc: e.hlc,
    origin: e.origin,
    vclock: e.vclock,
  };
}
