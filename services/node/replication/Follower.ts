import { type ChannelCredentials, type ClientDuplexStream, status } from '@grpc/grpc-js';
import { unaryCall } from '../../../common/client/grpcCall';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { SyncClient, type ReplicateRequest, type ReplicateResponse } from '../../../gen/shoal/v1/sync';
import { Backoff } from '../../../common/net/Backoff';
import type { HybridClock } from '../store/hybridClock';
import type { StateStore } from '../store/StateStore';
import type { Stored } from '../store/types';
import { runAntiEntropy } from './antiEntropy';
import type { EntryFeed } from './EntryFeed';
import { readDivergedSuffix, reconcileCalls } from './divergedSuffix';
import { entryFromProto, entryToProto, LOG_VERSION, linksOf, storedFromProto, termHistoryFromProto, termHistoryToProto } from './wire';
import { CLIENT_LIMITS } from '../../../common/grpc/transportLimits';

/** The primary a replica follows. */
export interface FollowTarget {
  term: number;
  primaryId: string;
  primaryAddress: string;
}

export interface FollowerDeps {
  store: StateStore;
  feed: EntryFeed;
  clock: HybridClock;
  nodeId: string;
  logger: Logger;
  /** The node's TLS toward its primary, or plaintext. */
  credentials: ChannelCredentials;
  /** The primary sends a heartbeat this often; three missed ones mean the stream is dead. */
  heartbeatMs: number;
  /** Anti-entropy period (sync.interval). */
  antiEntropyMs: number;
  /** A message carried a newer term than ours. */
  onNewerTerm: (term: number) => void;
  /** Anti-entropy replaced keys that had drifted. */
  onRepaired: (keys: string[]) => void;
}

const tracer = trace.getTracer('shoal.replication');

/** Anti-entropy rounds per check of the disk against the digests kept in memory. */
const VERIFY_EVERY = 10;

/**
 * The replica side of replication: keeps one Sync.Replicate stream open to the primary,
 * applies what it sends (snapshot, then entries, each batch in one transaction), acks the
 * applied position, reconnects with backoff, and runs anti-entropy every sync.interval.
 */
export class Follower {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private antiEntropyRound: Promise<void> | undefined;
  private rounds = 0;
  private call: ClientDuplexStream<ReplicateRequest, ReplicateResponse> | undefined;
  private readonly client: SyncClient;
  private wantSnapshot = false;
  /** The last anti-entropy round that finished: when, and how many keys it repaired. */
  lastAntiEntropy = { atMs: 0, repairedKeys: 0 };
  /** The primary's last position as it last told us. */
  primaryLast = 0;
  connected = false;
  /**
   * When this node last heard anything from the primary (entries, a heartbeat, a snapshot
   * chunk); when it began following until it first does. The control plane reads the silence
   * as this replica's view of whether the primary lives.
   */
  lastHeardAtMs = Date.now();

  constructor(
    private readonly deps: FollowerDeps,
    readonly target: FollowTarget,
  ) {
    this.client = new SyncClient(target.primaryAddress, deps.credentials, CLIENT_LIMITS);
  }

  start(): void {
    // A background loop: its log lines and spans must not join whichever call started it.
    this.loop ??= context.with(ROOT_CONTEXT, () => this.run());
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.call?.cancel();
    await this.loop;
    // A repair must not land after this node stopped following (it may be promoted next).
    await this.antiEntropyRound;
    this.client.close();
  }

  private async run(): Promise<void> {
    const backoff = new Backoff({ initialMs: 100, maxMs: 2000 });
    const signal = this.stopping.signal;
    const antiEntropy = setInterval(() => {
      this.antiEntropyRound ??= this.antiEntropy().finally(() => (this.antiEntropyRound = undefined));
    }, this.deps.antiEntropyMs);
    antiEntropy.unref();
    try {
      while (!signal.aborted) {
        const outcome = await this.replicateOnce();
        if (signal.aborted) return;
        if (outcome === 'again') backoff.reset();
        else await backoff.wait(signal);
      }
    } finally {
      clearInterval(antiEntropy);
    }
  }

  /** One stream's life. 'again' reconnects at once (after divergence); 'failed' backs off. */
  private replicateOnce(): Promise<'again' | 'failed'> {
    const { store, logger } = this.deps;
    return new Promise((resolve) => {
      const call = this.client.replicate();
      this.call = call;
      let settled = false;
      // While our diverged entries are being reconciled, the stream ending is expected.
      let reconciling = false;
      let snapshot: { position: number; history: { term: number; startPosition: number }[]; values: Stored[] } | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      const finish = (outcome: 'again' | 'failed', why?: string, force = false) => {
        if (settled || (reconciling && !force)) return;
        settled = true;
        this.connected = false;
        clearTimeout(watchdog);
        call.cancel();
        if (why && !this.stopping.signal.aborted) logger.warn({ primary: this.target.primaryId, reason: why }, 'replication stream ended; reconnecting');
        resolve(outcome);
      };
      const alive = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => finish('failed', `no word from the primary for ${this.deps.heartbeatMs * 3} ms`), this.deps.heartbeatMs * 3);
      };
      // Echoes the primary's latest message: it renews the primary's lease from when that was sent.
      let echoSequence = 0;
      const ack = () => call.write({ message: { $case: 'ack', value: { term: store.term, appliedPosition: store.lastPosition, echoSequence } } });
      // Batches that arrive while this node is busy (a commit blocks it) are applied together:
      // one transaction and one fsync, then one ack.
      let received: { entries: ReturnType<typeof entryFromProto>[]; term: number } | undefined;
      const applyReceived = () => {
        const batch = received;
        received = undefined;
        if (!batch || settled || reconciling) return;
        // A newer term adopted meanwhile (a failover fenced this node between the message and
        // now): entries of the old term must not be applied, nor acked under the new one.
        if (batch.term < store.term) return finish('failed', `fenced at term ${store.term} while a batch of term ${batch.term} waited to be applied`);
        try {
          this.applyBatch(batch.entries, batch.term);
          this.primaryLast = Math.max(this.primaryLast, batch.entries[batch.entries.length - 1].position);
          ack();
        } catch (err) {
          finish('failed', (err as Error).message);
        }
      };

      call.on('data', (msg: ReplicateResponse) => {
        if (settled || reconciling) return;
        this.lastHeardAtMs = Date.now();
        alive();
        if (msg.term < store.term) return finish('failed', `the primary's term ${msg.term} is older than ours (${store.term})`);
        if (msg.term > store.term) this.deps.onNewerTerm(msg.term);
        echoSequence = Math.max(echoSequence, msg.sequence);
        const m = msg.message;
        try {
          switch (m?.$case) {
            case 'start':
              this.connected = true;
              this.primaryLast = m.value.primaryLastPosition;
              logger.info({ primary: this.target.primaryId, from: m.value.fromPosition, term: msg.term }, 'replicating from the primary');
              return ack();
            case 'diverged':
              reconciling = true;
              clearTimeout(watchdog);
              void this.reconcile(m.value.forkPosition).then(
                () => finish('again', undefined, true),
                (err: Error) => finish('failed', `could not hand diverged entries to the primary: ${err.message}`, true),
              );
              return;
            case 'snapshotBegin':
              snapshot = { position: m.value.position, history: termHistoryFromProto(m.value.termHistory), values: [] };
              logger.info({ position: m.value.position }, 'receiving a snapshot from the primary');
              return;
            case 'snapshotChunk':
              snapshot?.values.push(...m.value.values.map(storedFromProto));
              return;
            case 'snapshotEnd': {
              if (!snapshot) return finish('failed', 'snapshot end without a beginning');
              const count = store.installSnapshot(snapshot.position, snapshot.history, snapshot.values);
              for (const v of snapshot.values) this.deps.clock.observe(v.hlc);
              this.deps.feed.reset();
              this.wantSnapshot = false;
              this.connected = true;
              logger.info({ position: snapshot.position, keys: count }, 'installed the snapshot');
              snapshot = undefined;
              return ack();
            }
            case 'batch': {
              const entries = m.value.entries.map(entryFromProto);
              if (entries.length === 0) return;
              if (received) {
                received.entries.push(...entries);
                received.term = msg.term;
              } else {
                received = { entries, term: msg.term };
                setImmediate(applyReceived);
              }
              return;
            }
            case 'heartbeat':
              this.primaryLast = m.value.lastPosition;
              // Answered, so the primary knows this replica still hears it (its lease counts on that).
              return ack();
          }
        } catch (err) {
          finish('failed', (err as Error).message);
        }
      });
      call.on('error', (err: Error & { code?: number; details?: string }) => {
        finish('failed', err.code === status.CANCELLED ? undefined : (err.details ?? err.message));
      });
      call.on('end', () => finish('failed', 'the primary closed the stream'));
      alive();
      call.write({
        message: {
          $case: 'hello',
          value: {
            replicaId: this.deps.nodeId,
            term: store.term,
            lastPosition: store.lastPosition,
            termHistory: termHistoryToProto(store.termHistory()),
            wantSnapshot: this.wantSnapshot,
            logVersion: LOG_VERSION,
          },
        },
      });
    });
  }

  /** Applies one batch in one transaction, in a span linked to each entry's write. */
  private applyBatch(entries: ReturnType<typeof entryFromProto>[], term: number): void {
    tracer.startActiveSpan(
      'sync.apply_batch',
      { links: linksOf(entries), attributes: { 'shoal.term': term, 'shoal.entries': entries.length, 'shoal.first_position': entries[0].position } },
      (span) => {
        try {
          this.deps.store.applyEntries(entries);
          for (const e of entries) this.deps.clock.observe(e.hlc);
          this.deps.feed.publish(entries);
        } finally {
          span.end();
        }
      },
    );
  }

  /**
   * This node holds entries the primary never had (it was a primary whose last writes were not
   * acknowledged): hand them to the primary to reconcile, each key's in one call where they fit
   * (see divergedSuffix.ts), then start over from a snapshot. Positions after the fork that the
   * log no longer holds cannot be handed over: each key last written there is recorded as lost
   * in this node's conflict log (which the snapshot keeps), and an error names how many.
   */
  private async reconcile(fork: number): Promise<void> {
    const { store, logger } = this.deps;
    const { entries, unretained } = readDivergedSuffix(store, fork);
    logger.warn(
      { fork, entries: entries.length, primary: this.target.primaryId },
      'diverged from the primary; handing our unacknowledged entries over for reconciliation',
    );
    const result = { applied: 0, discarded: 0, conflicts: 0 };
    for (const part of reconcileCalls(entries)) {
      const r = await unaryCall<typeof result>(
        (m, o, cb) => this.client.reconcile({ term: store.term, fromNode: this.deps.nodeId, entries: part.map(entryToProto), forkPosition: fork }, m, o, cb),
        Date.now() + 30_000,
      );
      result.applied += r.applied;
      result.discarded += r.discarded;
      result.conflicts += r.conflicts;
    }
    if (this.stopping.signal.aborted) return;
    if (unretained) this.recordUnretained(unretained.from, unretained.to);
    logger.info({ ...result }, 'reconciled; replacing local state with a snapshot');
    store.wipe();
    this.deps.feed.reset();
    this.wantSnapshot = true;
  }

  /** Records the writes of diverged positions `from`..`to`, which the log no longer holds, as lost. */
  private recordUnretained(from: number, to: number): void {
    const { store, logger, nodeId } = this.deps;
    const lost = store.writtenBetween(from, to);
    const reason =
      `not handed over for reconciliation: positions ${from}-${to} of this node's diverged log were no longer retained ` +
      "(more than sync.retainEntries were never acknowledged), so whether this write was a compare-and-set is unknown; the primary's version stands";
    for (const loser of lost) store.recordConflict({ resolvedAtMs: Date.now(), key: loser.key, loser, reason, resolvedBy: nodeId });
    logger.error(
      { from, to, positions: to - from + 1, keys: lost.length, sample: lost.slice(0, 20).map((s) => s.key), primary: this.target.primaryId },
      'diverged positions could not be handed over for reconciliation: the log no longer held them; their writes are lost (recorded in the conflict log)',
    );
  }

  private async antiEntropy(): Promise<void> {
    if (!this.connected || this.stopping.signal.aborted) return;
    try {
      // Reading every row from disk is the costly part: one round in VERIFY_EVERY does it.
      if (this.rounds++ % VERIFY_EVERY === 0 && (await this.deps.store.verifyDigests())) {
        this.deps.logger.warn('stored keys differ on disk from what this node applied; anti-entropy will repair them');
      }
      const repaired = await runAntiEntropy(this.client, this.deps.store, this.stopping.signal);
      if (this.stopping.signal.aborted) return;
      this.lastAntiEntropy = { atMs: Date.now(), repairedKeys: repaired.length };
      if (repaired.length > 0) {
        this.deps.logger.warn({ keys: repaired.slice(0, 20), count: repaired.length }, 'anti-entropy repaired keys that had drifted from the primary');
        this.deps.onRepaired(repaired);
      }
    } catch (err) {
      this.deps.logger.debug({ err: (err as Error).message }, 'anti-entropy round skipped');
    }
  }
}
