import { randomUUID } from 'node:crypto';
import { context, propagation, ROOT_CONTEXT, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { type Event, EventState, type GetBacklogResponse, type LeasedEvent, type PublishRequest, type PublishResponse } from '../../../gen/shoal/v1/events';
import type { EventsConfig } from '../../../common/config/clusterConfig';
import type { Logger } from 'pino';
import { DomainError } from '../../../common/errors/DomainError';
import { AckTimeout } from '../replication/AckTracker';
import { VersionMismatch, type WriteOp, type WriteOutcome } from '../replication/PrimaryWriter';
import type { Replication } from '../replication/Replication';
import { primaryWrite, primaryWriteAll, type WriteDeps, type WriteReplication } from '../state/write';
import { EVENTS_PREFIX, eventKey } from '../store/systemKeys';
import { notPrimary } from '../sync/primaryRedirect';
import { eventIdOf, isKeyedEventId } from './eventId';
import { MAX_MESSAGE_BYTES } from './limits';
import { decodeRecord, encodeRecord, type EventRecord, MalformedRecord, toEvent } from './eventRecord';
import type { Stored } from '../store/types';

const tracer = trace.getTracer('shoal.events');

function newRecord(id: string, request: PublishRequest, traceparent: string): EventRecord {
  return {
    id,
    type: request.type,
    key: request.key,
    payload: Buffer.from(request.payload).toString('base64'),
    publishedAtMs: Date.now(),
    attempts: 0,
    state: 'pending',
    lastError: '',
    result: '',
    traceparent,
  };
}

/** What the queue reads of the node's replication: the write path's, plus the term and the store. */
export type QueueReplication = WriteReplication & Pick<Replication, 'term' | 'store' | 'assertLease'>;

/** What the queue needs of its node: the write path's dependencies and a logger. */
export interface EventQueueDeps extends WriteDeps<QueueReplication> {
  logger: Logger;
}

/** A handler's outcome for one leased event, as Ack carries it. */
export interface EventAck {
  workerId: string;
  eventId: string;
  leaseId: string;
  success: boolean;
  result: Buffer;
  error: string;
  permanent: boolean;
  /** The worker's span of the event; the ack's span is its child (else the publish's). */
  traceparent: string;
}

interface Lease {
  leaseId: string;
  workerId: string;
  expiresAt: number;
}

/** How often expired leases and dedupe windows are looked for, ms. */
const SWEEP_MS = 200;
/** Done events removed in one replicated write at most. */
const PURGE_BATCH = 1000;
/** After a removal could not be written (too few replicas), the next try waits this long, ms. */
const PURGE_RETRY_MS = 5000;
const EMPTY = Buffer.alloc(0);

/**
 * The primary's view of the event log. Every change of an event's state (published, failed,
 * done, dead) is a replicated write of its record, acknowledged under sync.minAcks; leases are
 * held in memory only. So a new primary rebuilds the queue from its store: what was leased is
 * pending again, and delivery is at least once.
 *
 * A done event is removed from the store (a purge, on every node), so the store, its scans and
 * a new primary's rebuild hold only the queue, not every event ever processed. An event without
 * an idempotency key goes at its ack: nothing can ask for it again. One with a key stays done for
 * events.dedupeWindow, so publishing the key again is answered as a duplicate, and then goes.
 */
export class EventQueue {
  /** Ids of pending events, oldest first (leased ones stay here until acked); a Set keeps order and removes in O(1). */
  private readonly pending = new Set<string>();
  private readonly records = new Map<string, EventRecord>();
  private readonly leases = new Map<string, Lease>();
  /** Events whose new state is being written: not leased, expired or acked meanwhile. */
  private readonly saving = new Set<string>();
  private readonly waiters = new Set<() => void>();
  /**
   * Done events kept for their key's dedupe window, in the order they are to be removed; each
   * with the position its done record was written at, so only that record is removed.
   */
  private expiring: { id: string; position: number; at: number }[] = [];
  /** A removal of expired done events is being written. */
  private purging = false;
  /** Ids of dead-lettered events (a set: a record taken in twice counts once). */
  private readonly dead = new Set<string>();
  private done = 0;
  /** The term this queue was built in; 0 before it was built. */
  private term = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly ctx: EventQueueDeps,
    private readonly config: EventsConfig,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Lease calls waiting for an event right now. */
  get waitingLeases(): number {
    return this.waiters.size;
  }

  /** Stops the sweeper and wakes every waiting Lease (it answers with what it has). */
  close(): void {
    clearInterval(this.sweeper);
    for (const wake of this.waiters) wake();
  }

  /**
   * Publishes one event (create-only: a repeat of its idempotency key is answered as a
   * duplicate), answered once sync.minAcks replicas hold it. `signal` ends the wait for them
   * early (with its reason) when the caller leaves.
   */
  async publish(request: PublishRequest, deadlineMs: number, signal?: AbortSignal): Promise<PublishResponse> {
    this.ready();
    const id = eventIdOf(request);
    const existing = this.ctx.replication!.store.stored(eventKey(id));
    if (existing) return this.duplicate(id, existing.position, deadlineMs, signal);
    return tracer.startActiveSpan('events.publish', { attributes: { 'shoal.event.id': id, 'shoal.event.type': request.type } }, async (span) => {
      try {
        const carrier: Record<string, string> = {};
        propagation.inject(context.active(), carrier);
        const record = newRecord(id, request, carrier.traceparent ?? '');
        // Create-only: two publishes with one idempotency key write one event.
        const outcome = await primaryWrite(this.ctx, {
          op: 'put',
          key: eventKey(id),
          value: encodeRecord(record),
          expectedVersion: 0,
          deadlineMs,
          signal,
        }).catch((err: unknown) => {
          if (err instanceof VersionMismatch && request.idempotencyKey) return undefined;
          throw err;
        });
        if (!outcome) return await this.duplicate(id, this.ctx.replication!.store.stored(eventKey(id))?.position ?? 0, deadlineMs, signal);
        if (this.term === outcome.term) this.enqueue(record);
        return { eventId: id, position: outcome.position, term: outcome.term, duplicate: false };
      } finally {
        span.end();
      }
    });
  }

  /**
   * Publishes several events as one replicated write (one commit, one wait for the replicas);
   * each has its own events.publish span, which its trace continues from. One answer per
   * request, in order.
   */
  async publishAll(requests: PublishRequest[], deadlineMs: number, signal?: AbortSignal): Promise<PublishResponse[]> {
    this.ready();
    const r = this.ctx.replication!;
    const results: PublishResponse[] = [];
    const fresh: { index: number; record: EventRecord; span: Span }[] = [];
    requests.forEach((request, index) => {
      const id = eventIdOf(request);
      // Only an id from an idempotency key can exist already; a fresh UUIDv7 cannot.
      const existing = request.idempotencyKey ? r.store.stored(eventKey(id)) : undefined;
      results.push({ eventId: id, position: existing?.position ?? 0, term: r.term, duplicate: existing !== undefined });
      if (existing) return;
      const span = tracer.startSpan('events.publish', { attributes: { 'shoal.event.id': id, 'shoal.event.type': request.type } });
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(context.active(), span), carrier);
      fresh.push({ index, record: newRecord(id, request, carrier.traceparent ?? ''), span });
    });
    // Repeats are answered once the first publishes are acknowledged, as fresh ones would be.
    const repeats = results.filter((p) => p.duplicate);
    if (repeats.length > 0) await this.acknowledged(Math.max(...repeats.map((p) => p.position)), deadlineMs, signal);
    if (fresh.length === 0) return results;
    let outcomes: WriteOutcome[];
    try {
      // Create-only, all or none.
      outcomes = await primaryWriteAll(
        this.ctx,
        fresh.map(({ record }) => ({
          op: 'put' as const,
          key: eventKey(record.id),
          value: encodeRecord(record),
          expectedVersion: 0,
          traceParent: record.traceparent,
        })),
        deadlineMs,
        signal,
      );
    } catch (err) {
      // An idempotency key taken meanwhile, or twice in this batch: nothing was written. One by
      // one instead, so the others are written and each repeat is answered as a duplicate.
      if (err instanceof VersionMismatch) return Promise.all(requests.map((request) => this.publish(request, deadlineMs, signal)));
      throw err;
    } finally {
      for (const { span } of fresh) span.end();
    }
    fresh.forEach(({ index, record }, i) => {
      const outcome = outcomes[i];
      if (this.term === outcome.term) this.enqueue(record);
      results[index] = { eventId: record.id, position: outcome.position, term: outcome.term, duplicate: false };
    });
    return results;
  }

  /**
   * The answer to a publish whose event exists already. Its record may be committed here but
   * not yet on the replicas (the first publish timed out waiting for them, and this is its
   * retry): answering before they have it would acknowledge an event a failover could lose.
   */
  private async duplicate(eventId: string, position: number, deadlineMs: number, signal: AbortSignal | undefined): Promise<PublishResponse> {
    await this.acknowledged(position, deadlineMs, signal);
    return { eventId, position, term: this.ctx.replication!.term, duplicate: true };
  }

  /** Waits until sync.minAcks replicas hold `position`: 'unavailable' at the deadline, the signal's reason when it aborts. */
  private async acknowledged(position: number, deadlineMs: number, signal: AbortSignal | undefined): Promise<void> {
    const writer = this.ctx.replication?.writer;
    if (!writer) throw notPrimary(this.ctx, 'an events call');
    try {
      await writer.acks.waitFor(position, deadlineMs, signal);
    } catch (err) {
      if (err instanceof AckTimeout) throw new DomainError('unavailable', `the event was published before, but ${err.message}`);
      throw err;
    }
  }

  /**
   * Up to `max` pending events for `workerId`, waiting up to `waitMs` for the first. None once
   * `signal` aborts (the caller left, or the node drains): nothing is leased to a caller that
   * cannot hear of it.
   */
  async lease(workerId: string, max: number, leaseMs: number, waitMs: number, signal: AbortSignal): Promise<LeasedEvent[]> {
    const until = Date.now() + waitMs;
    for (;;) {
      this.ready();
      // A primary that may have been replaced must not hand out events another primary also leases.
      this.ctx.replication?.assertLease();
      if (signal.aborted) return [];
      const leased = this.take(workerId, max, leaseMs);
      if (leased.length > 0 || Date.now() >= until) return leased;
      await this.waitForWork(until - Date.now(), signal);
    }
  }

  /**
   * Ends leases with their handlers' outcomes, every record in one replicated write. One result
   * per ack, in order: the event's state after it, or why that ack was not taken (its lease is
   * gone: 'precondition'; the write was not acknowledged: 'unavailable', and the leases stay,
   * so the acks can be sent again). Each ack is a span in its event's trace. `signal` ends the
   * wait for the replicas early, with its reason (the leases stay then too).
   */
  async ackAll(acks: EventAck[], deadlineMs: number, signal?: AbortSignal): Promise<(EventState | DomainError)[]> {
    this.ready();
    const results: (EventState | DomainError)[] = [];
    const taken: { index: number; next: EventRecord; span: Span }[] = [];
    const batch = trace.getSpanContext(context.active());
    acks.forEach((a, index) => {
      const lease = this.leases.get(a.eventId);
      const record = this.records.get(a.eventId);
      // `saving` also turns away a second ack of one event in the same batch.
      if (!record || !lease || lease.leaseId !== a.leaseId || this.saving.has(a.eventId)) {
        results.push(
          new DomainError(
            'precondition',
            `event ${a.eventId} is not leased to ${a.workerId} under lease ${a.leaseId} any more (it expired, was released, or a new primary took over); it is or will be delivered again`,
          ),
        );
        return;
      }
      results.push(EventState.EVENT_STATE_UNSPECIFIED); // set once written
      const parent = propagation.extract(ROOT_CONTEXT, { traceparent: a.traceparent || record.traceparent });
      const span = tracer.startSpan(
        'events.ack',
        {
          attributes: {
            'shoal.event.id': a.eventId,
            'shoal.lease.id': a.leaseId,
            'shoal.worker': a.workerId,
            'shoal.ack.success': a.success,
            'shoal.ack.result_bytes': a.result.length,
          },
          links: batch ? [{ context: batch }] : [],
        },
        parent,
      );
      const next = a.success
        ? { ...record, state: 'done' as const, result: a.result.toString('base64'), doneAtMs: Date.now() }
        : this.failedRecord(record, a.error, a.permanent);
      this.saving.add(a.eventId);
      taken.push({ index, next, span });
    });
    if (taken.length === 0) return results;
    let written: WriteOutcome[];
    try {
      const ops = taken.map(({ next, span }): WriteOp => {
        const carrier: Record<string, string> = {};
        propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
        if (next.state === 'done' && !this.keptWhenDone(next.id))
          return { op: 'purge', key: eventKey(next.id), value: EMPTY, traceParent: carrier.traceparent };
        return { op: 'put', key: eventKey(next.id), value: encodeRecord(next), traceParent: carrier.traceparent };
      });
      written = await primaryWriteAll(this.ctx, ops, deadlineMs, signal);
    } catch (err) {
      // Not taken, and the leases stay: the worker may send these acks again.
      if (!(err instanceof DomainError) || err.kind !== 'unavailable') throw err;
      for (const { index, span } of taken) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
        results[index] = err;
      }
      return results;
    } finally {
      for (const { next, span } of taken) {
        this.saving.delete(next.id);
        span.end();
      }
    }
    taken.forEach(({ index, next }, i) => {
      this.leases.delete(next.id);
      results[index] = this.recorded(next);
      if (next.state === 'done' && this.keptWhenDone(next.id)) this.expiring.push({ id: next.id, position: written[i].position, at: this.removeAt(next) });
    });
    return results;
  }

  /** Hands back every lease `workerId` holds; returns how many. */
  release(workerId: string, reason: string): number {
    this.ready();
    let released = 0;
    for (const [eventId, lease] of this.leases) {
      if (lease.workerId !== workerId) continue;
      released += 1;
      this.expire(eventId, `released: ${reason}`);
    }
    return released;
  }

  /**
   * Takes in event records a reconciliation wrote (an old primary's writes no replica had, that
   * won): an event this queue does not hold is delivered when pending, counted when dead, and
   * removed in time when done, as if the queue had been rebuilt with it. One it holds already
   * goes on as it is (delivered again, at least once). Other keys are left alone.
   */
  adopt(keys: string[]): void {
    const r = this.ctx.replication;
    // Not serving events in this term yet: the queue's rebuild reads them from the store.
    if (this.term === 0 || r?.role !== 'primary' || r.term !== this.term) return;
    const now = Date.now();
    let adopted = 0;
    for (const key of keys) {
      if (!key.startsWith(EVENTS_PREFIX)) continue;
      const stored = r.store.stored(key);
      if (!stored || stored.deleted) continue;
      const [record] = this.decodeRows([stored]).map((d) => d.record);
      if (!record || this.records.has(record.id)) continue;
      this.takeIn(record, stored.position, now);
      adopted += 1;
    }
    if (adopted === 0) return;
    this.expiring.sort((a, b) => a.at - b.at);
    this.ctx.logger.info({ events: adopted, pending: this.pending.size, dead: this.dead.size }, 'took reconciled event records into the queue');
  }

  backlog(): GetBacklogResponse {
    this.ready();
    const waiting = this.pending.size - this.leases.size;
    const perWorker = new Map<string, number>();
    for (const lease of this.leases.values()) perWorker.set(lease.workerId, (perWorker.get(lease.workerId) ?? 0) + 1);
    const workers = [...perWorker].map(([workerId, leased]) => ({ workerId, leased })).sort((a, b) => a.workerId.localeCompare(b.workerId));
    return { pending: waiting, leased: this.leases.size, dead: this.dead.size, done: this.done, workers };
  }

  deadLetters(limit: number): Event[] {
    this.ready();
    return this.decodeRows(this.ctx.replication!.store.listAll(EVENTS_PREFIX))
      .map((d) => d.record)
      .filter((r) => r.state === 'dead')
      .slice(0, limit)
      .map((r) => toEvent(r));
  }

  /** Puts a dead-lettered event back in the queue, attempts reset. Throws 'not-found', 'precondition' (not dead), or a lost compare-and-set. */
  async redrive(eventId: string, deadlineMs: number, signal?: AbortSignal): Promise<Event> {
    this.ready();
    const stored = this.ctx.replication!.store.stored(eventKey(eventId));
    if (!stored) throw new DomainError('not-found', `no event ${eventId}`);
    let record: EventRecord;
    try {
      record = decodeRecord(stored.value);
    } catch (err) {
      if (!(err instanceof MalformedRecord)) throw err;
      throw new DomainError('precondition', `event ${eventId} cannot be redriven: its stored ${err.message}`);
    }
    if (record.state !== 'dead') throw new DomainError('precondition', `event ${eventId} is not dead-lettered (it is ${record.state})`);
    const next: EventRecord = { ...record, state: 'pending', attempts: 0, lastError: '' };
    // Compare-and-set: of two redrives of one event, one wins.
    await this.saved(next, deadlineMs, stored.version, signal);
    this.dead.delete(eventId);
    this.enqueue(next);
    return toEvent(next);
  }

  /** Refuses unless this node is the primary; rebuilds the queue when its term is new. */
  private ready(): void {
    const r = this.ctx.replication;
    if (!r || r.role !== 'primary' || !r.writer) throw notPrimary(this.ctx, 'an events call');
    if (this.term === r.term) return;
    this.term = r.term;
    this.pending.clear();
    this.records.clear();
    this.leases.clear();
    this.saving.clear();
    this.expiring = [];
    this.dead.clear();
    this.done = 0;
    const now = Date.now();
    const rows = r.store.listAll(EVENTS_PREFIX).sort((a, b) => a.position - b.position);
    for (const { row, record } of this.decodeRows(rows)) this.takeIn(record, row.position, now);
    this.expiring.sort((a, b) => a.at - b.at);
    this.ctx.logger.info(
      { term: r.term, pending: this.pending.size, dead: this.dead.size, doneToRemove: this.expiring.length },
      'event queue rebuilt from the store',
    );
  }

  /**
   * The event records of stored rows. One that is malformed (written by a bug, a tool, or a
   * peer's bad reconcile entry) is logged with its key and position and skipped: the rows after
   * it are read all the same, and it stays in the store for an operator to look at.
   */
  private decodeRows(rows: Stored[]): { row: Stored; record: EventRecord }[] {
    const decoded: { row: Stored; record: EventRecord }[] = [];
    for (const row of rows) {
      try {
        decoded.push({ row, record: decodeRecord(row.value) });
      } catch (err) {
        if (!(err instanceof MalformedRecord)) throw err;
        this.ctx.logger.error({ key: row.key, position: row.position, err: err.message }, 'skipped a malformed event record');
      }
    }
    return decoded;
  }

  /** A stored record (at `position`) into the queue: pending is queued, dead counted, done to be removed. */
  private takeIn(record: EventRecord, position: number, now: number): void {
    this.dead.delete(record.id);
    if (record.state === 'pending') this.enqueue(record);
    else if (record.state === 'dead') this.dead.add(record.id);
    // Done: kept for what is left of its key's dedupe window, or left by an earlier version, which
    // kept every done event: removed at once. Sorted after.
    else this.expiring.push({ id: record.id, position, at: this.keptWhenDone(record.id) ? this.removeAt(record, now) : now });
  }

  /** When a kept done event is removed: a dedupe window after it was done (or after `now`, for a record that does not say when). */
  private removeAt(record: EventRecord, now = Date.now()): number {
    return (record.doneAtMs ?? now) + this.config.dedupeWindow;
  }

  private enqueue(record: EventRecord): void {
    if (this.records.has(record.id)) return;
    this.records.set(record.id, record);
    this.pending.add(record.id);
    for (const wake of this.waiters) wake();
  }

  private take(workerId: string, max: number, leaseMs: number): LeasedEvent[] {
    const out: LeasedEvent[] = [];
    let bytes = 0;
    for (const id of this.pending) {
      if (out.length >= max) break;
      if (this.leases.has(id) || this.saving.has(id)) continue;
      const record = this.records.get(id)!;
      // The answer must fit a gRPC message: large payloads go a few at a time (at least one).
      const size = Math.ceil((record.payload.length * 3) / 4);
      if (out.length > 0 && bytes + size > MAX_MESSAGE_BYTES) break;
      bytes += size;
      const lease: Lease = { leaseId: randomUUID(), workerId, expiresAt: Date.now() + leaseMs };
      this.leases.set(id, lease);
      out.push({ event: toEvent(record, true), leaseId: lease.leaseId, expiresAtUnixMs: lease.expiresAt });
    }
    return out;
  }

  /** The record after a failed delivery: pending again (retried), or dead-lettered. */
  private failedRecord(record: EventRecord, error: string, permanent: boolean): EventRecord {
    const attempts = record.attempts + 1;
    const dead = permanent || attempts >= this.config.maxAttempts;
    return { ...record, attempts, lastError: error, state: dead ? 'dead' : 'pending' };
  }

  /** Takes a written change of an event's state into the queue; returns that state. */
  private recorded(next: EventRecord): EventState {
    switch (next.state) {
      case 'done':
        this.settle(next.id);
        this.done += 1;
        return EventState.EVENT_STATE_DONE;
      case 'dead':
        this.settle(next.id);
        this.dead.add(next.id);
        this.ctx.logger.warn({ event: next.id, type: next.type, attempts: next.attempts, error: next.lastError }, 'event dead-lettered');
        return EventState.EVENT_STATE_DEAD;
      case 'pending':
        this.records.set(next.id, next);
        // To the back of the queue: a failing event does not hold up the others.
        this.pending.delete(next.id);
        this.pending.add(next.id);
        for (const wake of this.waiters) wake();
        return EventState.EVENT_STATE_PENDING;
    }
  }

  /** A lease that ran out (or was released): counts as a failed delivery. */
  private expire(eventId: string, why: string): void {
    const record = this.records.get(eventId);
    if (!record || this.saving.has(eventId)) return;
    this.leases.delete(eventId);
    const next = this.failedRecord(record, why, false);
    this.saved(next, Date.now() + this.ctx.sync.ackTimeout).then(
      () => this.recorded(next),
      (err: Error) => this.ctx.logger.warn({ event: eventId, err: err.message }, 'could not record an expired lease; the event stays pending'),
    );
  }

  private sweep(): void {
    // Leases of an earlier term (this node led before) are void: ready() drops them.
    const r = this.ctx.replication;
    if (this.term === 0 || r?.role !== 'primary' || r.term !== this.term) return;
    const now = Date.now();
    for (const [eventId, lease] of this.leases) if (lease.expiresAt <= now) this.expire(eventId, `lease of ${lease.workerId} expired`);
    this.purgeExpired(now);
  }

  /** Whether a done event stays for the dedupe window (its id came from an idempotency key). */
  private keptWhenDone(eventId: string): boolean {
    return this.config.dedupeWindow > 0 && isKeyedEventId(eventId);
  }

  /** Removes done events whose dedupe window is over, up to PURGE_BATCH in one replicated write. */
  private purgeExpired(now: number): void {
    if (this.purging || this.expiring.length === 0 || this.expiring[0].at > now) return;
    let count = 0;
    while (count < this.expiring.length && count < PURGE_BATCH && this.expiring[count].at <= now) count += 1;
    const batch = this.expiring.splice(0, count);
    // Only the done record meant, still as it was written. A removal that timed out waiting for
    // the replicas may be committed here all the same, and its key published anew since: that
    // event (even done, in its own window) must stay. The ops reach the writer before its next
    // commit (a later turn), and this node is the only writer.
    const store = this.ctx.replication!.store;
    const meant = batch.filter(({ id, position }) => store.stored(eventKey(id))?.position === position);
    if (meant.length === 0) return;
    const term = this.term;
    this.purging = true;
    Promise.resolve()
      .then(() =>
        primaryWriteAll(
          this.ctx,
          meant.map(({ id }) => ({ op: 'purge' as const, key: eventKey(id), value: EMPTY })),
          now + this.ctx.sync.ackTimeout,
        ),
      )
      .catch((err: Error) => {
        // A rebuilt queue lists them again itself; otherwise they are tried again a little later.
        if (this.term !== term) return;
        const at = Date.now() + PURGE_RETRY_MS;
        this.expiring.unshift(...meant.map((e) => ({ ...e, at })));
        this.ctx.logger.warn({ events: meant.length, err: err.message, retryInMs: PURGE_RETRY_MS }, 'could not remove done events past their dedupe window');
      })
      .finally(() => (this.purging = false));
  }

  private settle(eventId: string): void {
    this.records.delete(eventId);
    this.pending.delete(eventId);
  }

  /** Writes the event's new state; while that is under way, nothing else happens to the event. */
  private async saved(record: EventRecord, deadlineMs: number, expectedVersion?: number, signal?: AbortSignal): Promise<void> {
    this.saving.add(record.id);
    try {
      await primaryWrite(this.ctx, { op: 'put', key: eventKey(record.id), value: encodeRecord(record), deadlineMs, expectedVersion, signal });
    } finally {
      this.saving.delete(record.id);
    }
  }

  private waitForWork(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
