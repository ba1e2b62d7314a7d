import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import { ClusterEventKind } from '../../gen/shoal/v1/scale';
import { type PrimaryChange, PrimaryChangeError } from '../../common/cluster/changePrimary';
import { DomainError } from '../../common/errors/DomainError';
import { detailsOf } from '../events/EventJournal';
import type { ReconcileScope } from './ReconcileScope';

/** Changes of primary as the reconciler makes them (primaryChangesOverConsul in the control plane). */
export interface PrimaryChanges {
  /** The primary the leader record names now, read afresh. */
  currentPrimary(): Promise<string | undefined>;
  /** An unplanned change (see common/cluster/changePrimary `failover`). */
  failover(opts: {
    expectPrimary: string;
    includeCurrent: boolean;
    stateNodeIds: string[];
    timeoutMs: number;
    progress: (line: string) => void;
  }): Promise<PrimaryChange>;
  /** A planned, lossless handover to `to` (see `switchover`). */
  switchover(to: string, timeoutMs: number): Promise<PrimaryChange>;
}

/** The part of the reconcile scope the guard reads. */
export type GuardScope = Pick<ReconcileScope, 'config' | 'observer' | 'journal' | 'tracks' | 'logger' | 'mayAct'>;

/** A failover that cannot be made now is tried again after this, ms. */
const FAILOVER_RETRY_MS = 1000;

/**
 * Keeps the cluster served by one primary: fails a gone primary over (at most one attempt a
 * second while blocked, one event per distinct reason), re-establishes a primary when nodes
 * were fenced by a failover that did not finish, and hands over before a primary is stopped.
 */
export class PrimaryGuard {
  /** Since when nodes hold a term above the leader record's with no primary in it; 0 if not. */
  private termGapSince = 0;
  private failoverRetryAt = 0;
  private lastBlocked = '';

  constructor(
    private readonly scope: GuardScope,
    private readonly primaries: PrimaryChanges,
  ) {}

  /**
   * Fails the primary over to the most advanced replica (see `failover`): the replicas take the
   * next term first, so the old primary can get no write acknowledged any more. When too few
   * replicas answer to be sure no acknowledged write is lost, nothing changes and it is tried
   * again a second later. Nothing happens unless `id` is still the leader record's primary.
   */
  async failOver(id: string, reason: string, includeCurrent = false): Promise<void> {
    if (Date.now() < this.failoverRetryAt || !this.scope.mayAct()) return;
    const { journal, tracks, logger } = this.scope;
    // The observer's copy of the leader record may trail a failover made a moment ago.
    if ((await this.primaries.currentPrimary()) !== id) return;
    try {
      await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_FAILED_OVER, id, reason, async () => {
        const change = await this.primaries.failover({
          expectPrimary: id,
          includeCurrent,
          stateNodeIds: tracks.declared.filter((d) => d.role !== 'worker').map((d) => d.id),
          timeoutMs: 5000,
          progress: (line) => logger.info({ node: id }, `failover: ${line}`),
        });
        await journal.decide(
          ClusterEventKind.CLUSTER_EVENT_KIND_PROMOTED,
          change.to,
          `the most advanced replica; primary from position ${change.startPosition} in term ${change.term}`,
          () => Promise.resolve({ term: change.term, startPosition: change.startPosition, from: change.from }),
        );
        return { from: change.from, to: change.to, term: change.term, startPosition: change.startPosition, steps: change.steps.join('; ') };
      });
      this.failoverRetryAt = 0;
      this.lastBlocked = '';
    } catch (err) {
      this.failoverRetryAt = Date.now() + FAILOVER_RETRY_MS;
      const message = err instanceof PrimaryChangeError ? err.message : `failover failed: ${(err as Error).message}`;
      // One event per distinct reason; the retries are in the log.
      if (message === this.lastBlocked) return void logger.warn({ node: id, reason: message }, 'failover still blocked');
      this.lastBlocked = message;
      await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_FAILOVER_BLOCKED, id, message, () => Promise.resolve({ retryInMs: FAILOVER_RETRY_MS }));
    }
  }

  /**
   * Nodes that hold a term above the leader record's, with no primary in it, were fenced by a
   * failover that did not finish (or a switchover under way). They refuse the record's primary,
   * so writes stall. Once that has lasted `suspectAfter` (a switchover takes milliseconds), the
   * most advanced state node, the record's primary included, is made primary in a new term.
   */
  async checkTerms(): Promise<void> {
    const { observer, config } = this.scope;
    const record = observer.leader;
    const samples = [...observer.members.keys()]
      .map((id) => observer.stream(id)?.state)
      .filter((s) => s?.connected && s.sample && s.sample.role !== NodeRole.NODE_ROLE_WORKER)
      .map((s) => s!.sample!);
    const highest = Math.max(0, ...samples.map((s) => s.term));
    const served = samples.some((s) => s.role === NodeRole.NODE_ROLE_PRIMARY && s.term >= highest);
    if (!record || highest <= record.term || served) {
      this.termGapSince = 0;
      return;
    }
    this.termGapSince ||= Date.now();
    if (Date.now() - this.termGapSince < config.controlPlane.suspectAfter) return;
    this.termGapSince = 0;
    await this.failOver(
      record.primaryId,
      `nodes hold term ${highest}, above the leader record's ${record.term}, and no primary serves it (a failover that fenced them did not finish)`,
      true,
    );
  }

  /**
   * A planned handover from the primary `id` to the most advanced passing replica.
   * @returns the step it took, for the operator.
   * @throws DomainError `precondition` when no healthy replica can take over.
   */
  async handOver(id: string): Promise<string[]> {
    const { observer, journal } = this.scope;
    const best = [...observer.members.values()]
      .filter((m) => m.id !== id && m.health === MemberHealth.MEMBER_HEALTH_PASSING && observer.stream(m.id)?.state.sample?.role === NodeRole.NODE_ROLE_REPLICA)
      .sort((a, b) => (observer.stream(b.id)?.state.sample?.logPosition ?? 0) - (observer.stream(a.id)?.state.sample?.logPosition ?? 0))[0];
    if (!best) throw new DomainError('precondition', `${id} is the primary and no healthy replica can take over`);
    const change = await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_SWITCHED_OVER, id, `${id} must stop; ${best.id} takes over`, async () => {
      const c = await this.primaries.switchover(best.id, 10_000);
      return { from: c.from, to: c.to, term: c.term, startPosition: c.startPosition };
    });
    const { to, term } = detailsOf(change);
    return [`switched over from ${id} to ${to} (term ${term})`];
  }
}
