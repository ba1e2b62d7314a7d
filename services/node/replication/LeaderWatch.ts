import type { Logger } from 'pino';
import { casLeader, type LeaderRead, type LeaderRecord, readLeader } from '../../../common/cluster/leaderRecord';
import type { ConsulApi } from '../../../common/consul/ConsulApi';
import { Backoff } from '../../../common/net/Backoff';
import type { StateStore } from '../store/StateStore';
import type { FollowTarget } from './Follower';

/** What the leader watch reads and steers (Replication hands it in). */
export interface LeaderWatchDeps {
  consul: ConsulApi;
  cluster: string;
  nodeId: string;
  /** This start of the node (NodeIdentity.incarnation). */
  incarnation: string;
  /** This node's gRPC address, as others reach it. */
  address: () => string;
  /** The role the config gives: the primary bootstraps the cluster's first term. */
  initialRole: 'primary' | 'replica';
  store: Pick<StateStore, 'term' | 'adoptTerm' | 'lastPosition' | 'lastRole' | 'storeId'>;
  logger: Logger;
  /** The node's role now ('unknown' until Consul has told it). */
  role(): 'primary' | 'replica' | 'unknown';
  /** Whether this node already writes as the primary of `term`. */
  writesFor(term: number): boolean;
  /** Whether this node follows some primary. */
  following(): boolean;
  /** Queues the change to primary of `term`; resolves when done. */
  becomePrimary(term: number, reason: string): Promise<void>;
  /** Follows another primary (Replication.follow). */
  follow(target: FollowTarget, reason: string): Promise<void>;
  /** Serves as a replica with no primary to follow yet (a record names this id, but not this store). */
  standBy(reason: string): Promise<void>;
}

/**
 * Follows Consul's leader record (`shoal/<cluster>/leader`) with blocking queries and turns
 * this node into what it says: the primary it names, or a replica following that primary. With
 * no record, the configured primary may start the cluster's first term. A record older than
 * our term is ignored (a failover has fenced it).
 */
export class LeaderWatch {
  private latest: LeaderRecord | undefined;
  /** The store id of the record we last refused to act on, to say why once. */
  private refusedStore: string | undefined;

  constructor(private readonly deps: LeaderWatchDeps) {}

  /** The last leader record acted on; undefined before the first. */
  get record(): LeaderRecord | undefined {
    return this.latest;
  }

  /** Reads and acts on the leader record until `signal` aborts; a failed read keeps the current role and retries with backoff. */
  async run(signal: AbortSignal): Promise<void> {
    const { consul, cluster, logger } = this.deps;
    const backoff = new Backoff({ initialMs: 200, maxMs: 5000 });
    let index: string | undefined;
    let warned = false;
    while (!signal.aborted) {
      try {
        const read = await readLeader(consul, cluster, { index, signal });
        backoff.reset();
        warned = false;
        index = Number(read.index) < Number(index ?? 0) ? undefined : read.index;
        if (!read.record) {
          if (this.deps.initialRole === 'primary' && this.mayBootstrap()) await this.bootstrap(read);
          else if (this.deps.role() === 'unknown') logger.info('no primary in Consul yet; waiting for one');
          continue;
        }
        await this.onLeaderRecord(read.record, read);
      } catch (err) {
        if (signal.aborted) return;
        if (!warned) logger.warn({ err: (err as Error).message }, 'cannot read the leader record from Consul; keeping the current role');
        warned = true;
        index = undefined;
        await backoff.wait(signal);
      }
    }
  }

  /**
   * Only a node with no data, or the last primary, may start a term when Consul has no record
   * (a new cluster, or a dev agent that lost its data): a replica that is behind must not.
   */
  private mayBootstrap(): boolean {
    const store = this.deps.store;
    if (store.lastPosition === 0 || store.lastRole === 'primary') return true;
    if (this.deps.role() === 'unknown') {
      this.deps.logger.warn(
        { position: store.lastPosition, term: store.term },
        'no leader record in Consul, and this node holds data as a replica: not starting a term; run `shoal failover` to choose a primary',
      );
    }
    return false;
  }

  private async bootstrap(read: LeaderRead): Promise<void> {
    const term = this.deps.store.term + 1;
    const record = this.naming(term, 'bootstrap');
    if (await casLeader(this.deps.consul, this.deps.cluster, read, record)) {
      this.deps.logger.info({ term }, 'no primary in Consul: this node takes the first term');
      await this.onLeaderRecord(record);
    }
  }

  /** A record naming this process primary for `term`: its address, incarnation and store. */
  private naming(term: number, reason: string): LeaderRecord {
    const { nodeId, address, incarnation, store } = this.deps;
    return { term, primaryId: nodeId, primaryAddress: address(), changedAtMs: Date.now(), reason, incarnation, storeId: store.storeId };
  }

  private async onLeaderRecord(record: LeaderRecord, read?: LeaderRead): Promise<void> {
    const { store, nodeId, logger } = this.deps;
    if (record.term < store.term) {
      // A failover fenced us with a newer term and has not (yet) named a primary for it.
      if (this.deps.role() !== 'primary' && !this.deps.following()) {
        logger.warn({ recordTerm: record.term, ourTerm: store.term }, 'the leader record is older than our term: waiting for a primary of the new term');
      }
      return;
    }
    this.latest = record;
    if (record.primaryId === nodeId) {
      if (record.storeId && record.storeId !== store.storeId) return this.notOurData(record);
      // Another start of this node (a restart with its data), or a record from before
      // incarnations that names another address: the replicas and the control plane know the
      // process the record names, so take over only with a new term, by compare-and-set.
      const another = record.incarnation ? record.incarnation !== this.deps.incarnation : record.primaryAddress !== this.deps.address();
      if (another) {
        if (!read) return;
        const next = this.naming(Math.max(record.term, store.term) + 1, 'restarted with its data');
        if (!(await casLeader(this.deps.consul, this.deps.cluster, read, next))) {
          // Someone changed the record first: the next read acts on what it says now.
          logger.info({ term: record.term }, 'the leader record changed while this restart took a new term; reading it again');
          return;
        }
        logger.info(
          { term: next.term, was: record.incarnation ?? '(none)', incarnation: next.incarnation },
          'named primary by an earlier start of this node: took a new term',
        );
        this.latest = next;
        record = next;
      }
      if (!this.deps.writesFor(record.term)) {
        store.adoptTerm(record.term);
        await this.deps.becomePrimary(record.term, record.reason || 'named primary in Consul');
      }
      return;
    }
    await this.deps.follow(
      { term: record.term, primaryId: record.primaryId, primaryAddress: record.primaryAddress },
      record.reason || 'named replica in Consul',
    );
  }

  /**
   * The record names this id with another store: that primary's data lives elsewhere (this is
   * an empty or other copy, e.g. started on another host). Acting as primary, or writing our
   * address into the record, would serve none of it: wait as a replica for a failover.
   */
  private async notOurData(record: LeaderRecord): Promise<void> {
    const { store, logger, nodeId } = this.deps;
    if (this.refusedStore !== record.storeId) {
      this.refusedStore = record.storeId;
      logger.error(
        { term: record.term, recordStore: record.storeId, ourStore: store.storeId, address: record.primaryAddress },
        `named primary in Consul with store ${record.storeId}, but this process of ${nodeId} has store ${store.storeId}: its data is elsewhere; not taking over, waiting for a failover`,
      );
    }
    if (this.deps.role() !== 'replica' || this.deps.following())
      await this.deps.standBy(`named primary with store ${record.storeId}, not ours (${store.storeId})`);
  }
}
