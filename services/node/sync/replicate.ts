import { type ServerDuplexStream, status } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import type { ReplicateRequest, ReplicateResponse, ReplicateHello } from '../../../gen/shoal/v1/sync';
import { toStatus } from '../../../common/grpc/toStatus';
import { ServerError } from '../../../common/grpc/ServerError';
import { writeWithBackpressure } from '../../../common/grpc/writeWithBackpressure';
import type { SyncDeps } from './server';
import { forkPoint } from '../replication/forkPoint';
import type { AckTracker } from '../replication/AckTracker';
import type { ReplicaEchoes } from '../replication/ReplicaEchoes';
import type { Replication } from '../replication/Replication';
import type { Entry } from '../store/types';
import { entryToProto, LOG_VERSION, linksOf, storedToProto, termHistoryFromProto, termHistoryToProto } from '../replication/wire';
import { notPrimary } from './primaryRedirect';
import { capBytes, MAX_MESSAGE_VALUE_BYTES } from '../replication/messageSize';

/** Entries per replication batch, and values per snapshot chunk (both also capped by bytes). */
const BATCH = 256;
const CHUNK = 500;
const tracer = trace.getTracer('shoal.replication');

/**
 * The primary's side of a replica's Replicate stream: read the hello, decide where the replica
 * starts (stream from its position, snapshot, or diverged), then send batches as entries are
 * committed and heartbeats while idle; count the replica's acks toward sync.minAcks.
 */
export function replicate(deps: SyncDeps, call: ServerDuplexStream<ReplicateRequest, ReplicateResponse>): void {
  const ended = new AbortController();
  const fail = (err: unknown) => {
    if (ended.signal.aborted) return;
    ended.abort();
    call.emit('error', toStatus(err, deps.logger, 'Replicate'));
  };
  const finish = () => {
    if (ended.signal.aborted) return;
    ended.abort();
    call.end();
  };
  call.once('cancelled', () => ended.abort());
  call.once('error', () => ended.abort());
  call.once('end', () => ended.abort());

  let session: ReplicaSession | undefined;
  call.on('data', (msg: ReplicateRequest) => {
    const m = msg.message;
    if (m?.$case === 'hello') {
      if (session) return fail(new ServerError(status.INVALID_ARGUMENT, 'hello sent twice on one stream'));
      try {
        session = new ReplicaSession(deps, call, m.value, ended.signal, fail, finish);
        void session.run();
      } catch (err) {
        fail(err);
      }
    } else if (m?.$case === 'ack') {
      if (!session) return fail(new ServerError(status.INVALID_ARGUMENT, 'the first message must be a hello'));
      session.ack(m.value.term, m.value.appliedPosition, m.value.echoSequence);
    }
  });
}

/** The most terms a replica's hello may list: far more failovers than a cluster sees, and a bound on the work of judging it. */
const MAX_TERM_HISTORY = 10_000;

/** A hello's term history must be a history: bounded, terms rising, each starting at or after the one before, none past its log. */
function checkTermHistory(hello: ReplicateHello): void {
  const history = hello.termHistory;
  const bad = (why: string) => new ServerError(status.INVALID_ARGUMENT, `replica ${hello.replicaId}'s term_history ${why}`);
  if (history.length > MAX_TERM_HISTORY) throw bad(`lists ${history.length} terms, more than ${MAX_TERM_HISTORY}`);
  for (let i = 0; i < history.length; i++) {
    const t = history[i];
    if (t.term > hello.term) throw bad(`names term ${t.term}, newer than the hello's term ${hello.term}`);
    if (t.startPosition > hello.lastPosition + 1) throw bad(`starts term ${t.term} at ${t.startPosition}, past its last position ${hello.lastPosition}`);
    const before = history[i - 1];
    if (before && (t.term <= before.term || t.startPosition < before.startPosition)) {
      throw bad(`is out of order at term ${t.term} (after term ${before.term} from ${before.startPosition})`);
    }
  }
}

/** A replica's term further ahead than any role change could have taken it: not adopted. */
function farTerm(term: number, replicaId: string): ServerError {
  return new ServerError(status.FAILED_PRECONDITION, `replica ${replicaId} sent term ${term}, beyond what any leader-record change justifies; not adopted`);
}

class ReplicaSession {
  private readonly r: Replication;
  private readonly term: number;
  /** The acks of the term this session started in: a later term's tracker never sees this stream. */
  private readonly acks: AckTracker;
  /** The sequences of this term's messages; a replica's echo of one renews the lease and confirms read-index rounds. */
  private readonly echoes: ReplicaEchoes;
  private token: number | undefined;
  /**
   * The highest position this stream has given the replica (what it said it held and the
   * primary confirmed, a snapshot, then each batch): an ack past it claims entries the replica
   * was never sent, and would count writes as held by nobody.
   */
  private sentThrough = 0;
  /** A read-index round asked for a message at once; any message sent serves. */
  private pinged = false;
  private wake: AbortController | undefined;

  constructor(
    private readonly deps: SyncDeps,
    private readonly call: ServerDuplexStream<ReplicateRequest, ReplicateResponse>,
    private readonly hello: ReplicateHello,
    private readonly signal: AbortSignal,
    private readonly fail: (err: unknown) => void,
    private readonly finish: () => void,
  ) {
    const r = deps.replication;
    if (!r) throw notPrimary(deps, 'replication');
    this.r = r;
    if (hello.term > r.term) {
      if (!r.termWithinReach(hello.term)) throw farTerm(hello.term, hello.replicaId);
      r.observeTerm(hello.term, `replica ${hello.replicaId}`);
      throw new ServerError(status.FAILED_PRECONDITION, `replica ${hello.replicaId} is at term ${hello.term}, newer than this primary's; stepping down`);
    }
    if (r.role !== 'primary' || !r.writer) throw notPrimary(deps, 'replication');
    checkTermHistory(hello);
    if (hello.logVersion < LOG_VERSION) {
      throw new ServerError(
        status.FAILED_PRECONDITION,
        `replica ${hello.replicaId} runs an older shoal (log version ${hello.logVersion}, this primary's is ${LOG_VERSION}) that would apply this log's purges of done events as puts; upgrade it`,
      );
    }
    this.term = r.writer.term;
    this.acks = r.writer.acks;
    this.echoes = r.echoes!;
  }

  ack(term: number, applied: number, echoSequence: number): void {
    if (term > this.term) {
      if (!this.r.termWithinReach(term)) return this.fail(farTerm(term, this.hello.replicaId));
      this.r.observeTerm(term, `ack from ${this.hello.replicaId}`);
      return;
    }
    // Only an ack in this very term says the replica still follows this primary.
    if (term === this.term && this.r.echoes === this.echoes) this.r.echoFromReplica(this.hello.replicaId, echoSequence);
    if (this.token === undefined) return;
    if (applied > this.sentThrough) {
      this.deps.logger.warn({ replica: this.hello.replicaId, applied, sentThrough: this.sentThrough }, 'refused an ack past what was sent on the stream');
      return this.fail(
        new ServerError(
          status.INVALID_ARGUMENT,
          `ack of position ${applied} is past position ${this.sentThrough}, the last this stream sent to ${this.hello.replicaId}`,
        ),
      );
    }
    this.acks.ack(this.hello.replicaId, applied);
  }

  async run(): Promise<void> {
    const { hello, r } = this;
    const store = r.store;
    const untrack = r.trackStream((reason) => this.fail(new ServerError(status.UNAVAILABLE, reason)));
    const offPing = this.echoes.onPing(() => {
      this.pinged = true;
      this.wake?.abort();
    });
    try {
      let from: number;
      const fork = forkPoint(store.termHistory(), store.lastPosition, termHistoryFromProto(hello.termHistory), hello.lastPosition);
      if (!hello.wantSnapshot && hello.lastPosition > fork) {
        this.deps.logger.warn({ replica: hello.replicaId, fork, replicaLast: hello.lastPosition }, 'replica diverged: it holds entries this primary never had');
        await this.send({ $case: 'diverged', value: { forkPosition: fork } });
        return this.finish();
      }
      if (hello.wantSnapshot || hello.lastPosition + 1 < store.firstRetained()) {
        from = (await this.sendSnapshot()) + 1;
        this.sentThrough = from - 1;
        this.token = this.acks.connect(hello.replicaId, 0);
      } else {
        from = hello.lastPosition + 1;
        // Not diverged (above): every entry the replica says it holds is this primary's too.
        this.sentThrough = hello.lastPosition;
        await this.send({ $case: 'start', value: { primaryId: this.deps.identity.id, fromPosition: from, primaryLastPosition: store.lastPosition } });
        this.token = this.acks.connect(hello.replicaId, hello.lastPosition);
      }
      this.deps.logger.info({ replica: hello.replicaId, from }, 'replica connected');
      await this.stream(from);
    } catch (err) {
      this.fail(err);
    } finally {
      offPing();
      untrack();
      if (this.token !== undefined) this.acks.disconnect(hello.replicaId, this.token);
      if (this.token !== undefined) this.deps.logger.info({ replica: hello.replicaId }, 'replica disconnected');
    }
  }

  /** Sends entries from `next` on as they are committed, a heartbeat when idle. */
  private async stream(next: number): Promise<void> {
    const { feed } = this.r;
    const heartbeatMs = this.deps.sync.heartbeatInterval;
    while (!this.signal.aborted) {
      const entries = capBytes(feed.since(next, BATCH), (e) => e.value.length);
      if (entries.length > 0) {
        if (entries[0].position !== next) {
          throw new ServerError(status.UNAVAILABLE, `replica ${this.hello.replicaId} fell behind the retained log (needs ${next}); reconnect for a snapshot`);
        }
        await this.sendBatch(entries);
        next = entries[entries.length - 1].position + 1;
        continue;
      }
      if (this.pinged) {
        await this.send({ $case: 'heartbeat', value: { lastPosition: this.r.store.lastPosition, sentAtUnixMs: Date.now() } });
        continue;
      }
      this.wake = new AbortController();
      const more = await feed.waitFor(next, AbortSignal.any([this.signal, AbortSignal.timeout(heartbeatMs), this.wake.signal]));
      if (!more && !this.signal.aborted && !this.pinged) {
        await this.send({ $case: 'heartbeat', value: { lastPosition: this.r.store.lastPosition, sentAtUnixMs: Date.now() } });
      }
    }
  }

  private async sendBatch(entries: Entry[]): Promise<void> {
    const span = tracer.startSpan('sync.send_batch', {
      links: linksOf(entries),
      attributes: {
        'shoal.replica': this.hello.replicaId,
        'shoal.term': this.term,
        'shoal.entries': entries.length,
        'shoal.first_position': entries[0].position,
      },
    });
    // Before the send: the replica's ack of the batch may arrive before the write returns.
    this.sentThrough = entries[entries.length - 1].position;
    try {
      await this.send({ $case: 'batch', value: { entries: entries.map(entryToProto) } });
    } finally {
      span.end();
    }
  }

  /** Streams every stored value at one consistent position; returns that position. */
  private async sendSnapshot(): Promise<number> {
    const reader = this.r.store.openSnapshotReader();
    try {
      this.deps.logger.info({ replica: this.hello.replicaId, position: reader.position }, 'sending a snapshot');
      await this.send({ $case: 'snapshotBegin', value: { position: reader.position, termHistory: termHistoryToProto(reader.history) } });
      let chunk: ReturnType<typeof storedToProto>[] = [];
      let bytes = 0;
      let count = 0;
      for (const value of reader.values()) {
        // The replica went away: stop reading the whole table for nobody.
        this.signal.throwIfAborted();
        if (chunk.length === CHUNK || (chunk.length > 0 && bytes + value.value.length > MAX_MESSAGE_VALUE_BYTES)) {
          await this.send({ $case: 'snapshotChunk', value: { values: chunk } });
          chunk = [];
          bytes = 0;
        }
        chunk.push(storedToProto(value));
        bytes += value.value.length;
        count += 1;
      }
      if (chunk.length > 0) await this.send({ $case: 'snapshotChunk', value: { values: chunk } });
      await this.send({ $case: 'snapshotEnd', value: { position: reader.position, valueCount: count } });
      return reader.position;
    } finally {
      reader.close();
    }
  }

  private send(message: ReplicateResponse['message']): Promise<void> {
    this.pinged = false;
    return writeWithBackpressure(this.call, { term: this.term, sequence: this.echoes.stamp(), message }, this.signal);
  }
}
