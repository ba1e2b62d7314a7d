import type { Logger } from 'pino';
import { DomainError } from '../../../common/errors/DomainError';
import type { HybridClock } from '../store/hybridClock';
import type { StateStore } from '../store/StateStore';
import type { Entry, EntryOpName, KeyHead } from '../store/types';
import { mergeClocks, tick, type VectorClock } from '../store/vectorClock';
import { type AckTracker, AckTimeout } from './AckTracker';
import type { EntryFeed } from './EntryFeed';
import { PendingKeys } from './PendingKeys';
import { type StillPrimaryCheck, WriteFence } from './WriteFence';

/** One key's change. */
export interface WriteOp {
  op: EntryOpName;
  key: string;
  value: Buffer;
  /** Compare-and-set: the version the key must have now (0 = must not exist). */
  expectedVersion?: number;
  /** Causal history to carry over (reconciliation merges the loser's and winner's). */
  mergeClock?: VectorClock;
  /** W3C traceparent this op's entry carries, when it is not the write's (one span per event of a batch). */
  traceParent?: string;
}

interface WriteOptions {
  /** W3C traceparent of the write's span. */
  traceParent: string;
  /** Absolute deadline, ms since epoch, for the replicas' acks. */
  deadlineMs: number;
  /** False for writes no client waits on (reconciliation). @default true */
  waitForAcks?: boolean;
  /**
   * Aborted when the caller no longer waits (it left, or the node drains): the wait for acks
   * ends with the signal's reason. What was committed stays committed.
   */
  signal?: AbortSignal;
}

/** One op written on its own: its entry carries the write's traceparent. */
export type WriteRequest = WriteOp & WriteOptions;

/** Several ops written atomically: every compare-and-set holds, or none of them is written. */
export interface WriteAllRequest extends WriteOptions {
  ops: WriteOp[];
}

export interface WriteOutcome {
  /** False for a delete of a key that does not exist: nothing was written. */
  written: boolean;
  position: number;
  term: number;
  version: number;
}

/** A compare-and-set whose expected version was not the current one (ABORTED for the caller). */
export class VersionMismatch extends DomainError {
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super('conflict', `compare-and-set failed: key "${key}" is at version ${actual}, not the expected ${expected}`);
    this.name = 'VersionMismatch';
  }
}

/** The primary does not take writes right now (fenced for a switchover, or stepping down): UNAVAILABLE. */
export class NotWriting extends DomainError {
  constructor(message: string) {
    super('unavailable', message);
    this.name = 'NotWriting';
  }
}

interface Queued {
  req: WriteAllRequest;
  resolve: (o: WriteOutcome[]) => void;
  reject: (e: Error) => void;
}

/** A write of this batch that wrote nothing: its answer waits for the acks of the keys it looked at. */
interface Unwritten {
  q: Queued;
  keys: string[];
  answer: () => void;
}

/**
 * The primary's write path. Writes queue up and are committed together once per turn of the
 * event loop (group commit: one transaction, one fsync, for every write that arrived meanwhile),
 * then each waits until sync.minAcks replicas have applied it. A write of several ops is one
 * unit: its entries are consecutive, committed together, and acknowledged together.
 */
export class PrimaryWriter {
  private queue: Queued[] = [];
  private flushScheduled = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The switchover fence (WriteFence.ts). */
  readonly fenced: WriteFence;
  private closedReason: string | undefined;
  /** Keys whose latest write here is not yet acknowledged (see `unacknowledged`). */
  private readonly pending = new PendingKeys();

  constructor(
    private readonly store: StateStore,
    private readonly feed: EntryFeed,
    /** What the replicas of this primary's term have applied (the writer and its acks live and die together). */
    readonly acks: AckTracker,
    private readonly clock: HybridClock,
    private readonly nodeId: string,
    readonly term: number,
    private readonly logger: Logger,
    /** How the fence confirms this is still the primary once it ends. @default see WriteFence */
    stillPrimary?: StillPrimaryCheck,
  ) {
    this.fenced = new WriteFence(term, logger, stillPrimary);
  }

  write(req: WriteRequest): Promise<WriteOutcome> {
    return this.writeAll({ ops: [req], traceParent: req.traceParent, deadlineMs: req.deadlineMs, waitForAcks: req.waitForAcks, signal: req.signal }).then(
      (outcomes) => outcomes[0],
    );
  }

  /** Writes `ops` atomically; one outcome per op, in order. */
  writeAll(req: WriteAllRequest): Promise<WriteOutcome[]> {
    if (req.ops.length === 0) return Promise.resolve([]);
    if (this.closedReason) return Promise.reject(new NotWriting(this.closedReason));
    if (this.store.term > this.term) return Promise.reject(new NotWriting(`term ${this.store.term} exists; this primary's term ${this.term} is over`));
    const fenced = this.fenced.refusal();
    if (fenced) return Promise.reject(fenced);
    const promise = new Promise<WriteOutcome[]>((resolve, reject) => this.queue.push({ req, resolve, reject }));
    this.track(promise);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return promise;
  }

  /**
   * Stops taking writes for `timeoutMs` (a switchover; see WriteFence for what happens after),
   * waits for every write already taken to finish, and returns the last log position.
   */
  async fence(timeoutMs: number): Promise<number> {
    this.fenced.fence(timeoutMs);
    await Promise.allSettled([...this.inFlight]);
    return this.store.lastPosition;
  }

  /**
   * The position that must be acknowledged before a read may show `keys`, or before a write
   * that found nothing to do may answer: their latest write here, and what this primary
   * inherited at its term's start. 0 when nothing touching them is unacknowledged.
   */
  unacknowledged(keys: Iterable<string>): number {
    const acknowledged = this.acks.acknowledged;
    this.pending.prune(acknowledged);
    let need = this.acks.startPosition;
    for (const key of keys) need = Math.max(need, this.pending.of(key));
    return need > acknowledged ? need : 0;
  }

  /** As `unacknowledged`, for every key under `prefix` after `afterKey` (up to `throughKey`, when given). */
  unacknowledgedUnder(prefix: string, afterKey?: string, throughKey?: string): number {
    const acknowledged = this.acks.acknowledged;
    this.pending.prune(acknowledged);
    const need = Math.max(this.acks.startPosition, this.pending.under(prefix, afterKey, throughKey));
    return need > acknowledged ? need : 0;
  }

  /** Fails queued and waiting writes; no more are taken. */
  close(reason: string): void {
    this.closedReason = reason;
    this.fenced.close();
    const queued = this.queue;
    this.queue = [];
    for (const q of queued) q.reject(new NotWriting(reason));
    this.acks.failAll(`${reason}; the write is not acknowledged`);
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    const untrack = () => this.inFlight.delete(p);
    p.then(untrack, untrack);
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    // A newer term arrived while these waited: none of them may be written in the old one.
    if (this.store.term > this.term) {
      for (const q of batch) q.reject(new NotWriting(`term ${this.store.term} exists; this primary's term ${this.term} is over`));
      return;
    }
    // Later writes in the batch see earlier ones: versions and CAS checks use this view, which
    // starts with every key the batch writes, read together.
    const view = this.store.heads(batch.flatMap((q) => q.req.ops.map((op) => op.key)));
    const entries: Entry[] = [];
    const accepted: { q: Queued; outcomes: WriteOutcome[]; last: number }[] = [];
    const unwritten: Unwritten[] = [];
    let position = this.store.lastPosition;
    for (const q of batch) {
      // This write's own changes: adopted into the view only if every op of it passes.
      const mine = new Map<string, KeyHead | undefined>();
      const seen = (key: string) => (mine.has(key) ? mine.get(key) : view.get(key));
      const made: Entry[] = [];
      const outcomes: WriteOutcome[] = [];
      let next = position;
      let mismatch: VersionMismatch | undefined;
      for (const op of q.req.ops) {
        const before = seen(op.key);
        const live = before && !before.deleted ? before : undefined;
        const version = live?.version ?? 0;
        if (op.expectedVersion !== undefined && op.expectedVersion !== version) {
          mismatch = new VersionMismatch(op.key, op.expectedVersion, version);
          break;
        }
        // Nothing to remove: not written (a purge takes live keys only, as a delete does).
        if (op.op !== 'put' && !live) {
          outcomes.push({ written: false, position: this.store.lastPosition, term: this.term, version: 0 });
          continue;
        }
        next += 1;
        const vclock = tick(mergeClocks(before?.vclock ?? {}, op.mergeClock ?? {}), this.nodeId);
        const entry: Entry = {
          position: next,
          term: this.term,
          op: op.op,
          key: op.key,
          value: op.op === 'put' ? op.value : Buffer.alloc(0),
          // A deleted key's tombstone keeps counting, so a re-created key never reuses a version.
          version: (before?.version ?? 0) + 1,
          hlc: this.clock.now(),
          origin: this.nodeId,
          vclock,
          traceParent: op.traceParent ?? q.req.traceParent,
          // Kept so a reconciliation can tell whether the condition still holds elsewhere.
          ...(op.expectedVersion !== undefined && { expectedVersion: op.expectedVersion }),
        };
        // A purged key is gone, as if never written: written again, it starts at version 1.
        mine.set(op.key, op.op === 'purge' ? undefined : { version: entry.version, deleted: op.op === 'delete', vclock });
        made.push(entry);
        outcomes.push({ written: true, position: next, term: this.term, version: entry.version });
      }
      // A mismatch, or nothing to do, was decided on versions that may not be acknowledged yet
      // (a first attempt of this very write, timed out, then retried): answered once they are.
      // A mismatch reveals only the key it failed on; "nothing to do" rests on every key.
      if (mismatch) {
        const err = mismatch;
        unwritten.push({ q, keys: [err.key], answer: () => q.reject(err) });
        continue;
      }
      if (made.length === 0) {
        unwritten.push({ q, keys: q.req.ops.map((op) => op.key), answer: () => q.resolve(outcomes) });
        continue;
      }
      for (const [key, stored] of mine) view.set(key, stored);
      position = next;
      entries.push(...made);
      accepted.push({ q, outcomes, last: next });
    }
    if (entries.length > 0) {
      try {
        this.store.applyEntries(entries);
      } catch (err) {
        this.logger.error({ err }, 'could not commit writes to the log');
        // The unwritten ones were decided on this batch's view, which now never happened.
        for (const { q } of [...accepted, ...unwritten]) q.reject(new NotWriting(`the primary could not commit the write: ${(err as Error).message}`));
        return;
      }
      this.pending.add(entries);
      this.acks.committedAll(entries.map((e) => e.position));
      this.feed.publish(entries);
    }
    for (const { q, outcomes, last } of accepted) this.answerWhenAcknowledged(q, last, () => q.resolve(outcomes));
    for (const { q, keys, answer } of unwritten) this.answerWhenAcknowledged(q, this.unacknowledged(keys), answer);
  }

  /** Answers `q` once `position` is acknowledged (at once for 0 or a write no client waits on); else its AckTimeout or the caller's leaving. */
  private answerWhenAcknowledged(q: Queued, position: number, answer: () => void): void {
    if (q.req.waitForAcks === false || position === 0) return answer();
    const { signal } = q.req;
    this.acks
      .waitFor(position, q.req.deadlineMs, signal)
      .then(answer, (err: Error) => q.reject(err instanceof AckTimeout || (signal?.aborted && err === signal.reason) ? err : new AckTimeout(err.message)));
  }
}
