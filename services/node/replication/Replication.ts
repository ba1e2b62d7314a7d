import type { ChannelCredentials } from '@grpc/grpc-js';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { ConsulApi } from '../../../common/consul/ConsulApi';
import type { SyncConfig } from '../../../common/config/clusterConfig';
import { HybridClock } from '../store/hybridClock';
import type { StateStore } from '../store/StateStore';
import type { ConflictRecord } from '../store/types';
import { AckTracker } from './AckTracker';
import { EntryFeed } from './EntryFeed';
import { Follower, type FollowTarget } from './Follower';
import { PrimaryWriter } from './PrimaryWriter';
import { FirstWriteInTerm } from './FirstWriteInTerm';
import { LeaderWatch } from './LeaderWatch';
import { PrimaryLease } from './PrimaryLease';
import { ReadIndex } from './ReadIndex';
import { ReplicaEchoes } from './ReplicaEchoes';
import { readLeader } from '../../../common/cluster/leaderRecord';
import { stillPrimaryQuorum } from '../../../common/cluster/RoleChangeQuorum';
import { WRITTEN_METADATA_KEY } from '../../../common/cluster/primaryMetadataKey';
import { DomainError } from '../../../common/errors/DomainError';

/** What a state-holding node is right now. 'unknown' until Consul has told it. */
export type StateRole = 'primary' | 'replica' | 'unknown';

export interface ReplicationEvents {
  /** The node's role changed (re-register in Consul, log, metrics). */
  roleChanged(role: 'primary' | 'replica', term: number, reason: string): void;
  /** A replica's ack arrived this long after the primary committed the entry. */
  replicationLag(replicaId: string, ms: number): void;
  repaired(keys: string[]): void;
  /** Two concurrent versions of a key were resolved (reconciliation). */
  conflictResolved(conflict: ConflictRecord): void;
}

export interface ReplicationOptions {
  store: StateStore;
  nodeId: string;
  /** This start of the node (NodeIdentity.incarnation), named in the leader record while it is primary. */
  incarnation: string;
  cluster: string;
  consul: ConsulApi;
  /** The node's TLS toward its peers, or plaintext. */
  credentials: ChannelCredentials;
  sync: SyncConfig;
  /** This node's gRPC address, as others reach it. */
  address: () => string;
  /** The role the config gives: the primary bootstraps the cluster's first term. */
  initialRole: 'primary' | 'replica';
  /** The state nodes the config declares besides this one: the replicas that renew a primary's lease (PrimaryLease.leaseQuorum) and confirm its reads. */
  declaredReplicas: number;
  logger: Logger;
  events: ReplicationEvents;
}

/** How long a peer's far newer term may wait on a read of the leader record, ms. */
const PEER_TERM_CHECK_MS = 1000;

/**
 * The state-holding side of a node (primary or replica) and the moves between them. Consul's
 * leader record (`shoal/<cluster>/leader`) says who the primary is for which term; this node
 * follows it (LeaderWatch.ts) and turns into what it says: the primary writes; a replica
 * follows the primary. Terms only grow; a newer term seen anywhere (Consul, a Sync message)
 * makes a primary step down.
 */
export class Replication {
  readonly feed: EntryFeed;
  readonly clock = new HybridClock();
  /** Traces the first write after a promotion into the promotion's trace. */
  readonly firstWrite = new FirstWriteInTerm();
  private current: StateRole = 'unknown';
  private writerRef: PrimaryWriter | undefined;
  private followerRef: Follower | undefined;
  /** Held while this node is primary (PrimaryLease.ts); undefined otherwise. */
  private leaseRef: PrimaryLease | undefined;
  /** The primary's Replicate sequences and their echoes, and its batched read-index rounds; undefined when not primary. */
  private echoesRef: ReplicaEchoes | undefined;
  private readIndexRef: ReadIndex | undefined;
  /** Between a wipe (after reconciliation) and the snapshot that refills the store: it reads as empty. */
  private wiped = false;
  /** Whether the lease was held at the last check, to log when it is lost and regained. */
  private leaseWasHeld = true;
  /** When this node began waiting as a replica with no primary to follow (or started). */
  private waitingSinceMs = Date.now();
  private readonly leader: LeaderWatch;
  private readonly streams = new Set<(reason: string) => void>();
  private readonly stopping = new AbortController();
  private watch: Promise<void> | undefined;
  /** Serializes role changes: each waits for the one before. */
  private transition: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ReplicationOptions) {
    this.feed = new EntryFeed(opts.store);
    // A reset with nothing left is a wipe; the snapshot's reset that follows refills the store.
    this.feed.onReset(() => (this.wiped = opts.store.lastPosition === 0 && opts.store.termHistory().length === 0));
    // After a restart, new writes must still order after everything already stored.
    this.clock.observe(opts.store.latestHybridTimeAtOpen);
    const { consul, cluster, nodeId, incarnation, address, initialRole, store, logger } = opts;
    this.leader = new LeaderWatch({
      consul,
      cluster,
      nodeId,
      incarnation,
      address,
      initialRole,
      store,
      logger,
      role: () => this.current,
      writesFor: (term) => this.current === 'primary' && this.writerRef?.term === term,
      following: () => this.followerRef !== undefined,
      becomePrimary: (term, reason) => this.change(() => this.toPrimary(term, reason)),
      follow: (target, reason) => this.follow(target, reason),
      standBy: (reason) => this.change(() => this.toReplica(undefined, reason)),
    });
  }

  get role(): StateRole {
    return this.current;
  }

  get store(): StateStore {
    return this.opts.store;
  }

  get term(): number {
    return this.opts.store.term;
  }

  get writer(): PrimaryWriter | undefined {
    return this.writerRef;
  }

  get acks(): AckTracker | undefined {
    return this.writerRef?.acks;
  }

  get follower(): Follower | undefined {
    return this.followerRef;
  }

  /** The primary's gRPC address as this node knows it, for redirecting clients; never our own unless we are it. */
  primaryAddress(): string | undefined {
    if (this.current === 'primary') return this.opts.address();
    const known = this.followerRef?.target.primaryAddress ?? this.leader.record?.primaryAddress;
    return known === this.opts.address() ? undefined : known;
  }

  start(): void {
    this.watch ??= context.with(ROOT_CONTEXT, () => this.leader.run(this.stopping.signal));
    const retention = setInterval(() => this.truncateLog(), this.opts.sync.interval);
    retention.unref();
    // Four reads per lease: one lost or slow read does not cost the lease.
    const leaseCheck = setInterval(() => void context.with(ROOT_CONTEXT, () => this.renewLease()), this.opts.sync.primaryLease / 4);
    leaseCheck.unref();
    this.stopping.signal.addEventListener(
      'abort',
      () => {
        clearInterval(retention);
        clearInterval(leaseCheck);
      },
      { once: true },
    );
  }

  /** Whether this node is the primary and holds its lease (PrimaryLease.ts). */
  get leaseHeld(): boolean {
    return this.current === 'primary' && this.leaseRef !== undefined && this.leaseRef.held();
  }

  /**
   * How long this replica has not heard from the primary, ms: since the last message of its
   * stream, or since it began following or waiting when it never heard. 0 on the primary.
   */
  primarySilenceMs(): number {
    if (this.current === 'primary') return 0;
    return Math.max(0, Date.now() - (this.followerRef?.lastHeardAtMs ?? this.waitingSinceMs));
  }

  /** True while this node's store is empty awaiting a snapshot (it was wiped to reconcile): stale reads are refused. */
  get reinstalling(): boolean {
    return this.wiped;
  }

  /** The sequences of this primary's Replicate messages (ReplicaEchoes.ts); undefined when not primary. */
  get echoes(): ReplicaEchoes | undefined {
    return this.echoesRef;
  }

  /** A replica's ack in this primary's term echoed `sequence`: it still followed us when that was sent (renews the lease from then). */
  echoFromReplica(replicaId: string, sequence: number): void {
    const sentAt = this.echoesRef?.echo(replicaId, sequence);
    if (sentAt === undefined) return;
    this.leaseRef?.heardFromReplica(replicaId, sentAt);
    // A switchover's fence that ended is confirmed by replicas following in this term since.
    this.writerRef?.fenced.heardFromReplica(replicaId, sentAt);
  }

  /**
   * Confirms with a quorum that this node is still the primary in its term, for a linearizable
   * read (ReadIndex.ts batches the rounds): stillPrimaryQuorum of the declared replicas (enough
   * that no role change's quorum can have taken a newer term meanwhile) echo a message
   * sent after the read arrived, or, with none declared, Consul's leader record names this node
   * in its term. UNAVAILABLE when that does not happen within sync.primaryLease.
   */
  confirmPrimary(): Promise<void> {
    if (this.current !== 'primary' || !this.readIndexRef) return Promise.reject(new DomainError('unavailable', `${this.opts.nodeId} is no longer the primary`));
    return this.readIndexRef.confirm();
  }

  /** One read-index round; see confirmPrimary. */
  private async confirmRound(term: number, echoes: ReplicaEchoes): Promise<void> {
    const withinMs = this.opts.sync.primaryLease;
    const unconfirmed = (why: string) =>
      new DomainError('unavailable', `primary ${this.opts.nodeId} could not confirm it is still the primary of term ${term}: ${why}`, {
        [WRITTEN_METADATA_KEY]: 'false',
      });
    if (this.opts.declaredReplicas === 0) {
      const { record } = await readLeader(this.opts.consul, this.opts.cluster, { timeoutMs: withinMs }).catch((err: Error) => {
        throw unconfirmed(`Consul did not answer (${err.message})`);
      });
      if (record?.primaryId !== this.opts.nodeId || record.term !== term)
        throw unconfirmed(`the leader record names ${record?.primaryId ?? 'nobody'} in term ${record?.term ?? 0}`);
      return;
    }
    try {
      await echoes.confirm(AbortSignal.timeout(withinMs));
    } catch {
      throw unconfirmed(
        `${stillPrimaryQuorum(this.opts.declaredReplicas, this.opts.sync.minAcks)} of the ${this.opts.declaredReplicas} declared replicas did not answer within ${withinMs} ms (sync.primaryLease)`,
      );
    }
  }

  /**
   * Refuses a read (or an event lease) served as primary once the lease ran out: another node
   * may have been promoted meanwhile and taken writes this one never saw. Nothing was written,
   * so clients may try elsewhere.
   */
  assertLease(): void {
    const lease = this.leaseRef;
    if (this.current !== 'primary' || !lease || lease.held()) return;
    throw new DomainError(
      'unavailable',
      `primary ${this.opts.nodeId} has heard from neither Consul nor enough of its replicas for ${lease.silenceMs()} ms (sync.primaryLease ${lease.leaseMs} ms): it may have been replaced`,
      { [WRITTEN_METADATA_KEY]: 'false' },
    );
  }

  /**
   * While primary: reads the leader record (not blocking, within half a lease) and renews the
   * lease if it still names this node in its term; a newer term steps down (observeTerm). Then
   * logs a lost or regained lease.
   */
  private async renewLease(): Promise<void> {
    const lease = this.leaseRef;
    if (this.current !== 'primary' || !lease) return;
    try {
      // The lease counts from when the question left, not from the answer: a slow answer must not stretch it.
      const sentAt = Date.now();
      // Up to half a lease: a slow answer still renews it as of the sending, and reads overlap.
      const { record } = await readLeader(this.opts.consul, this.opts.cluster, { timeoutMs: this.opts.sync.primaryLease / 2 });
      if (record && record.primaryId === this.opts.nodeId && record.term === this.writerRef?.term) lease.heardFromConsul(sentAt);
      else if (record && record.term > this.term) this.observeTerm(record.term, 'the leader record');
    } catch {
      // Consul unreachable: the replicas' half of the lease may still hold it.
    }
    if (lease !== this.leaseRef) return;
    const held = lease.held();
    if (held === this.leaseWasHeld) return;
    this.leaseWasHeld = held;
    if (held) this.opts.logger.info({ term: this.term }, 'regained the primary lease: serving reads and event leases again');
    else
      this.opts.logger.warn(
        { term: this.term, silenceMs: lease.silenceMs(), primaryLeaseMs: lease.leaseMs },
        'lost the primary lease: heard from neither Consul nor enough of the replicas; refusing reads and event leases until one answers',
      );
  }

  /**
   * Whether Consul's leader record names this process primary of `term` (a fenced primary's
   * confirmation); a newer term in it steps down.
   */
  private async recordNames(term: number): Promise<boolean> {
    const { record } = await readLeader(this.opts.consul, this.opts.cluster, { timeoutMs: Math.max(50, this.opts.sync.primaryLease / 4 - 50) });
    if (record && record.term > this.term) this.observeTerm(record.term, 'the leader record');
    return !!record && record.term === term && record.primaryId === this.opts.nodeId && (!record.incarnation || record.incarnation === this.opts.incarnation);
  }

  /** Keeps the last sync.retainEntries entries; replicas further behind get a snapshot. */
  private truncateLog(): void {
    const keepFrom = this.opts.store.lastPosition - this.opts.sync.retainEntries + 1;
    if (this.opts.store.firstRetained() >= keepFrom) return;
    const dropped = this.opts.store.truncateBelow(keepFrom);
    this.opts.logger.debug({ dropped, keepFrom }, 'truncated the log');
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.watch;
    await this.transition;
    this.writerRef?.close('the node is shutting down');
    for (const end of this.streams) end('the node is shutting down');
    await this.followerRef?.stop();
  }

  /** Registers an open Replicate stream, to be ended when this node stops being primary. */
  trackStream(end: (reason: string) => void): () => void {
    this.streams.add(end);
    return () => this.streams.delete(end);
  }

  /**
   * Whether a peer's `term` is one a role change could have made, without asking Consul: at most
   * one above the newer of this node's term and the leader record it last read (a failover or
   * switchover pushes the record's term + 1 before it writes the record).
   */
  termWithinReach(term: number): boolean {
    return term <= Math.max(this.term, this.leader.record?.term ?? 0) + 1;
  }

  /**
   * Adopts a newer term a peer sent (GetPosition, Follow, Reconcile) once it is justified: within
   * reach, or within one of Consul's leader record read now (this node may have missed record
   * changes). A term far beyond them, pushed by a bad or buggy peer, would leave every later
   * failover needing a term above it; it is refused and logged instead.
   * @throws DomainError 'precondition' for a term beyond the record, 'unavailable' when Consul cannot be read to judge it.
   */
  async observePeerTerm(term: number, source: string): Promise<void> {
    if (term <= this.term) return;
    if (!this.termWithinReach(term)) {
      const { record } = await readLeader(this.opts.consul, this.opts.cluster, { timeoutMs: PEER_TERM_CHECK_MS }).catch((err: Error) => {
        throw new DomainError('unavailable', `cannot check term ${term} (${source}) against Consul's leader record: ${err.message}`);
      });
      const recordTerm = record?.term ?? 0;
      if (term > Math.max(this.term, recordTerm) + 1) {
        this.opts.logger.warn({ term, source, recordTerm, ownTerm: this.term }, 'refused a term no leader-record change justifies');
        throw new DomainError(
          'precondition',
          `term ${term} (${source}) is beyond what Consul's leader record justifies: it is at term ${recordTerm}, and a role change takes at most the next term`,
        );
      }
    }
    this.observeTerm(term, source);
  }

  /** Adopts a newer term seen anywhere; a primary then steps down and waits to be told whom to follow. */
  observeTerm(term: number, source: string): void {
    if (!this.opts.store.adoptTerm(term)) return;
    this.opts.logger.info({ term, source }, 'adopted a newer term');
    if (this.current === 'primary') {
      // Stop acknowledging now, not when the queued role change gets its turn.
      this.stopWriting(`a newer term ${term} exists (${source})`);
      void this.change(() => this.toReplica(undefined, `newer term ${term} seen (${source})`));
    } else if (this.followerRef && this.followerRef.target.term < term) {
      // The primary we follow is from an older term: stop applying what it sends.
      void this.change(() => this.toReplica(undefined, `newer term ${term} seen (${source})`));
    }
  }

  /** Becomes the primary for `term` (Promote). The caller has checked Consul names this node. */
  async promote(term: number, reason: string): Promise<number> {
    await this.change(async () => {
      if (this.current === 'primary' && this.writerRef?.term === term) return;
      await this.toPrimary(term, reason);
    });
    return this.termStart(term);
  }

  /** Follows another primary (Follow, or a leader record naming someone else). */
  follow(target: FollowTarget, reason: string): Promise<void> {
    this.opts.store.adoptTerm(target.term);
    return this.change(async () => {
      const f = this.followerRef;
      if (
        this.current === 'replica' &&
        f &&
        f.target.primaryId === target.primaryId &&
        f.target.primaryAddress === target.primaryAddress &&
        f.target.term === target.term
      )
        return;
      await this.toReplica(target, reason);
    });
  }

  /** Keeps a conflict resolution (for ListConflicts and the dashboard) and reports it. */
  recordConflict(conflict: ConflictRecord): void {
    this.opts.store.recordConflict(conflict);
    this.opts.logger.warn(
      { key: conflict.key, reason: conflict.reason, winner: conflict.winner?.origin, loser: conflict.loser.origin },
      'resolved concurrent versions of a key',
    );
    this.opts.events.conflictResolved(conflict);
  }

  /** The first position of `term` in this node's log. */
  termStart(term: number): number {
    return this.opts.store.termHistory().find((t) => t.term === term)?.startPosition ?? this.opts.store.lastPosition + 1;
  }

  /**
   * Runs role changes one at a time. The returned promise is this step's own outcome (callers
   * such as Promote must not report a failed change as done); the queue goes on either way.
   */
  private change(step: () => Promise<void>): Promise<void> {
    const result = this.transition.then(step);
    this.transition = result.catch((err: unknown) => this.opts.logger.error({ err }, 'role change failed'));
    return result;
  }

  /** Closes the writer and ends the replication streams: no write is acknowledged any more. */
  private stopWriting(reason: string): void {
    this.writerRef?.close(`this node stopped being the primary (${reason})`);
    this.writerRef = undefined;
    this.leaseRef = undefined;
    this.echoesRef = undefined;
    this.readIndexRef = undefined;
    for (const end of this.streams) end(`this node stopped being the primary (${reason})`);
  }

  private async toPrimary(term: number, reason: string): Promise<void> {
    const { store, logger } = this.opts;
    if (term < store.term) throw new Error(`will not become primary for term ${term}: term ${store.term} exists`);
    this.stopWriting('re-promoted');
    const follower = this.followerRef;
    this.followerRef = undefined;
    await follower?.stop();
    if (!store.termHistory().some((t) => t.term === term)) store.startTerm(term, store.lastPosition + 1);
    store.setLastRole('primary');
    const acks = new AckTracker(this.opts.sync.minAcks, (id, ms) => this.opts.events.replicationLag(id, ms), store.lastPosition);
    this.writerRef = new PrimaryWriter(store, this.feed, acks, this.clock, this.opts.nodeId, term, logger, {
      recordNamesUs: (t) => this.recordNames(t),
      replicasToConfirm: stillPrimaryQuorum(this.opts.declaredReplicas, this.opts.sync.minAcks),
    });
    this.leaseRef = new PrimaryLease({ leaseMs: this.opts.sync.primaryLease, declaredReplicas: this.opts.declaredReplicas });
    const echoes = new ReplicaEchoes({ needed: stillPrimaryQuorum(this.opts.declaredReplicas, this.opts.sync.minAcks), keepMs: this.opts.sync.primaryLease });
    this.echoesRef = echoes;
    this.readIndexRef = new ReadIndex(() => this.confirmRound(term, echoes));
    this.leaseWasHeld = true;
    this.current = 'primary';
    logger.info({ term, position: store.lastPosition, reason }, 'serving as primary');
    this.opts.events.roleChanged('primary', term, reason);
  }

  private async toReplica(target: FollowTarget | undefined, reason: string): Promise<void> {
    const { logger } = this.opts;
    const wasPrimary = this.current === 'primary';
    this.stopWriting(reason);
    this.opts.store.setLastRole('replica');
    const old = this.followerRef;
    this.followerRef = undefined;
    await old?.stop();
    this.current = 'replica';
    this.waitingSinceMs = Date.now();
    if (target) {
      this.followerRef = new Follower(
        {
          store: this.opts.store,
          feed: this.feed,
          clock: this.clock,
          nodeId: this.opts.nodeId,
          logger,
          credentials: this.opts.credentials,
          heartbeatMs: this.opts.sync.heartbeatInterval,
          antiEntropyMs: this.opts.sync.interval,
          onNewerTerm: (t) => this.observeTerm(t, 'the primary'),
          onRepaired: (keys) => this.opts.events.repaired(keys),
        },
        target,
      );
      this.followerRef.start();
    }
    logger.info(
      { term: this.opts.store.term, primary: target?.primaryId ?? '(waiting for Consul)', reason },
      wasPrimary ? 'stepped down to replica' : 'serving as replica',
    );
    this.opts.events.roleChanged('replica', this.opts.store.term, reason);
  }
}
