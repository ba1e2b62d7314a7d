import { type ServiceError, status } from '@grpc/grpc-js';
import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { LeasedEvent } from '../../../gen/shoal/v1/events';
import type { EventsClient } from '../../../common/client/EventsClient';
import type { StateClient } from '../../../common/client/StateClient';
import type { EventsConfig } from '../../../common/config/clusterConfig';
import { Backoff } from '../../../common/net/Backoff';
import { MAX_BATCH } from '../events/limits';
import { AckBatcher } from './AckBatcher';
import { type EventHandler, type HandlerContext, PermanentFailure } from './handlers';

const tracer = trace.getTracer('shoal.worker');

/** How long one Lease call waits on the primary for an event. */
const LEASE_WAIT_MS = 1000;
/** Handler durations remembered to decide whether leasing ahead is safe. */
const RECENT_RUNS = 32;

export interface EventWorkerOptions {
  workerId: string;
  events: EventsClient;
  state: StateClient;
  config: EventsConfig;
  handlers: Record<string, EventHandler>;
  logger: Logger;
}

/**
 * A worker's loop: lease events, run each one's handler (at most events.concurrency at once,
 * each aborted after events.handlerTimeout), ack the outcome (in batches: AckBatcher). While
 * handlers are quick it leases one round ahead (up to `concurrency` events wait for a slot), and
 * a handled event frees its slot before its ack is taken; so the primary's round trips overlap
 * the handlers. Each event's handling is a span in the trace its publish started. Stopping stops
 * leasing, lets held events finish within the drain time, and hands back the leases of those
 * that did not.
 *
 * Leasing ahead must not eat the lease: an event that waits for a slot still has to run within
 * its lease. So the worker leases ahead only while its recent handlers all took less than half
 * of what a lease leaves beyond a handler's timeout, and never starts an event whose lease has
 * less than events.handlerTimeout left (it acks it failed at once, so it is delivered again
 * without waiting for the lease to run out).
 */
export class EventWorker {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  /** Aborts running handlers: only when the drain time is over, not when stopping starts. */
  private readonly abortHandlers = new AbortController();
  private loop: Promise<void> | undefined;
  /** Handlers running now (at most events.concurrency). */
  private running = 0;
  /** Leased events waiting for a slot, with when they arrived. */
  private readonly waiting: { leased: LeasedEvent; arrivedAt: number }[] = [];
  /** Resolves the loop's wait for a free slot. */
  private freed: (() => void) | undefined;
  private readonly acks: AckBatcher;
  /** How long the last handlers took, ms (a ring of RECENT_RUNS). */
  private readonly recentRuns: number[] = [];
  processed = 0;
  failed = 0;

  constructor(private readonly opts: EventWorkerOptions) {
    this.acks = new AckBatcher(opts.events);
  }

  /** Starts leasing. The worker owns its clients: they follow the leader record, so a failover moves its calls within a second. */
  start(): void {
    if (this.loop) return;
    this.opts.events.followLeader();
    this.opts.state.followLeader();
    this.loop = context.with(ROOT_CONTEXT, () => this.run());
  }

  /** Stops leasing; waits up to `drainMs` for in-flight events, then releases the rest and closes the clients. */
  async stop(drainMs: number): Promise<void> {
    this.stopping.abort();
    await this.loop;
    const drained = await Promise.race([this.settled().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), drainMs).unref())]);
    if (!drained) {
      this.abortHandlers.abort();
      const released = await this.opts.events.releaseWorker(this.opts.workerId, 'the worker is stopping').catch(() => 0);
      this.opts.logger.warn(
        { released, stillRunning: this.inFlight.size, notStarted: this.waiting.length },
        'drain time over: handed back the leases of unfinished events',
      );
    }
    this.opts.events.close();
    this.opts.state.close();
  }

  /** Resolves once every held event is handled and acked (or its ack failed). */
  private async settled(): Promise<void> {
    // A waiting event means every slot is busy: it starts before the one it waits for settles.
    while (this.inFlight.size > 0) await Promise.race([...this.inFlight]);
  }

  private async run(): Promise<void> {
    const { events, workerId, config, logger } = this.opts;
    const signal = this.stopping.signal;
    const backoff = new Backoff({ initialMs: 100, maxMs: 2000 });
    let warned = false;
    while (!signal.aborted) {
      // Enough to fill the free slots (and, while handlers are quick, one round more), while the events held (waiting,
      // running, or handled and waiting for their ack) stay within 4 rounds.
      const c = config.concurrency;
      const rounds = this.leaseAheadSafe() ? 2 : 1;
      const want = Math.min(rounds * c - this.running - this.waiting.length, 4 * c - this.waiting.length - this.inFlight.size, MAX_BATCH);
      if (want <= 0) {
        await new Promise<void>((resolve) => (this.freed = resolve));
        continue;
      }
      try {
        const leased = await events.lease(workerId, want, LEASE_WAIT_MS);
        backoff.reset();
        warned = false;
        const arrivedAt = Date.now();
        this.waiting.push(...leased.map((l) => ({ leased: l, arrivedAt })));
        this.startWaiting();
      } catch (err) {
        if (signal.aborted) return;
        if (!warned) logger.warn({ err: (err as Error).message }, 'cannot lease events; retrying');
        warned = true;
        await backoff.wait(signal);
      }
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.opts.logger.error({ err }, 'event handling failed unexpectedly; the event will be delivered again'));
    this.inFlight.add(tracked);
    void tracked.finally(() => {
      this.inFlight.delete(tracked);
      this.free();
    });
  }

  /** Whether an event leased now and waiting a round still has time to run within its lease. */
  private leaseAheadSafe(): boolean {
    const { leaseMs, handlerTimeout } = this.opts.config;
    return this.recentRuns.length > 0 && Math.max(...this.recentRuns) < (leaseMs - handlerTimeout) / 2;
  }

  /** Starts waiting events while slots are free. */
  private startWaiting(): void {
    // Once the drain time is over, the leases of waiting events are handed back: not started.
    while (!this.abortHandlers.signal.aborted && this.running < this.opts.config.concurrency && this.waiting.length > 0) {
      const { leased, arrivedAt } = this.waiting.shift()!;
      const now = Date.now();
      const left = leased.expiresAtUnixMs - now;
      // Only one that waited: a lease just taken is as long as the primary gives.
      this.track(now > arrivedAt && left < this.opts.config.handlerTimeout ? this.giveBack(leased, left) : this.handle(leased));
    }
  }

  /** An event that waited too long for a slot to run within its lease: failed, not started. */
  private async giveBack(leased: LeasedEvent, leftMs: number): Promise<void> {
    const error = `not started: its lease had ${leftMs} ms left, less than events.handlerTimeout (${this.opts.config.handlerTimeout} ms), after waiting for a slot`;
    this.opts.logger.warn({ event: leased.event!.id, leftMs }, 'leased event waited too long for a slot; handing it back');
    const carrier: Record<string, string> = {};
    propagation.inject(propagation.extract(ROOT_CONTEXT, { traceparent: leased.event!.traceparent }), carrier);
    await this.acks.ack({
      workerId: this.opts.workerId,
      eventId: leased.event!.id,
      leaseId: leased.leaseId,
      success: false,
      result: Buffer.alloc(0),
      error,
      permanent: false,
      traceparent: carrier.traceparent ?? '',
    });
  }

  /** Wakes the loop waiting for a slot. */
  private free(): void {
    const wake = this.freed;
    this.freed = undefined;
    wake?.();
  }

  private async handle(leased: LeasedEvent): Promise<void> {
    this.running += 1;
    const event = leased.event!;
    const { handlers, logger, workerId, config } = this.opts;
    // The publish's trace: lease, handler and ack of this event belong to it.
    const parent = propagation.extract(ROOT_CONTEXT, { traceparent: event.traceparent });
    await tracer.startActiveSpan(
      `events.handle ${event.type}`,
      {
        attributes: {
          'shoal.event.id': event.id,
          'shoal.event.attempts': event.attempts,
          'shoal.worker': workerId,
          'shoal.lease.id': leased.leaseId,
          'shoal.lease.expires_at_unix_ms': leased.expiresAtUnixMs,
        },
      },
      parent,
      async (span) => {
        const handler = handlers[event.type];
        // Aborted on timeout or when the drain time is over. One timer, cleared when the handler
        // ends: thousands of events a second must not leave a timer and a signal each behind.
        const abort = new AbortController();
        const drainOver = () => abort.abort(this.abortHandlers.signal.reason);
        if (this.abortHandlers.signal.aborted) drainOver();
        else this.abortHandlers.signal.addEventListener('abort', drainOver, { once: true });
        let timer: NodeJS.Timeout | undefined;
        const startedAt = performance.now();
        let outcome: { success: true; result: Buffer } | { success: false; error: string; permanent: boolean };
        try {
          if (!handler) throw new PermanentFailure(`no handler for event type "${event.type}" (this worker has ${Object.keys(handlers).sort().join(', ')})`);
          let child: Logger | undefined;
          const ctx: HandlerContext = {
            // Made when a handler logs, not for every event.
            get logger() {
              return (child ??= logger.child({ event: event.id, type: event.type }));
            },
            state: this.opts.state,
            signal: abort.signal,
            putOnce: (key, value) => putOnce(this.opts.state, key, value),
          };
          const timedOut = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const err = new Error(`handler timed out after ${config.handlerTimeout} ms (events.handlerTimeout)`);
              abort.abort(err);
              reject(err);
            }, config.handlerTimeout);
          });
          const result = await Promise.race([
            handler({ id: event.id, type: event.type, key: event.key, payload: Buffer.from(event.payload), attempts: event.attempts }, ctx),
            timedOut,
          ]);
          outcome = { success: true, result: Buffer.from(JSON.stringify(result ?? null)) };
          this.processed += 1;
        } catch (err) {
          outcome = { success: false, error: err instanceof Error ? err.message : String(err), permanent: err instanceof PermanentFailure };
          this.failed += 1;
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
          logger.warn({ event: event.id, type: event.type, attempts: event.attempts, err: outcome.error }, 'handler failed');
        } finally {
          clearTimeout(timer);
          this.recentRuns.push(performance.now() - startedAt);
          if (this.recentRuns.length > RECENT_RUNS) this.recentRuns.shift();
          this.abortHandlers.signal.removeEventListener('abort', drainOver);
          this.running -= 1;
          this.startWaiting();
          this.free();
        }
        try {
          const carrier: Record<string, string> = {};
          propagation.inject(context.active(), carrier);
          const result = await this.acks.ack({
            workerId,
            eventId: event.id,
            leaseId: leased.leaseId,
            success: outcome.success,
            result: outcome.success ? outcome.result : Buffer.alloc(0),
            error: outcome.success ? '' : outcome.error,
            permanent: outcome.success ? false : outcome.permanent,
            traceparent: carrier.traceparent ?? '',
          });
          // The lease ran out or the primary changed: the event is delivered again (at least once).
          if ((result.code as status) !== status.OK)
            logger.warn({ event: event.id, code: status[result.code], err: result.message }, 'ack not taken; the event will be delivered again');
        } catch (err) {
          logger.warn({ event: event.id, err: (err as ServiceError).details ?? (err as Error).message }, 'ack not taken; the event will be delivered again');
        } finally {
          span.end();
        }
      },
    );
  }
}

/** A create-only Put: false when the key exists already (the effect was applied before). */
async function putOnce(state: StateClient, key: string, value: Buffer): Promise<boolean> {
  try {
    await state.put(key, value, { expectedVersion: 0 });
    return true;
  } catch (err) {
    if ((err as ServiceError).code === status.ABORTED) return false;
    throw err;
  }
}
