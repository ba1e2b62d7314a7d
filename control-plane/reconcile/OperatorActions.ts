import { ClusterEventKind, NodePhase } from '../../gen/shoal/v1/scale';
import { DomainError } from '../../common/errors/DomainError';
import { launchNode } from './launchNode';
import type { Track } from './NodeTracks';
import type { PrimaryGuard } from './PrimaryGuard';
import { drainGrace, type ReconcileScope } from './ReconcileScope';

/**
 * Drain and Restart, as an operator asks for them: each a decision, a primary handing over
 * first. The Reconciler runs them between passes, never during one.
 */
export class OperatorActions {
  constructor(
    private readonly scope: ReconcileScope,
    private readonly guard: PrimaryGuard,
    /** The lock holder's id, for the error a standby answers. */
    private readonly leaderId: () => string | undefined,
  ) {}

  /**
   * Takes a node out of service: a primary hands over to the most advanced healthy replica
   * first; then the node drains and stays stopped until `restart`.
   * @returns the steps taken, for the operator.
   * @throws DomainError (see `operable`), or `precondition` when a primary has no replica to hand over to.
   */
  async drain(id: string): Promise<string[]> {
    const { journal, observer, placement, config } = this.scope;
    const t = this.operable(id);
    const steps: string[] = [];
    await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_DRAINED, id, 'drain requested', async () => {
      if (observer.leader?.primaryId === id) steps.push(...(await this.guard.handOver(id)));
      t.drained = true;
      await placement.setDrained(id, true);
      t.phase = NodePhase.NODE_PHASE_DRAINED;
      t.detail = 'drained on request; Restart brings it back';
      await placement.stop(id, drainGrace(config));
      steps.push(`${id} drained and stopped; it stays stopped until restarted`);
      return { steps: steps.length };
    });
    return steps;
  }

  /**
   * Stops a node gracefully (a primary hands over first) and starts it again; brings a drained node back.
   * @returns the steps taken, for the operator.
   * @throws DomainError as `drain` does.
   */
  async restart(id: string): Promise<string[]> {
    const { journal, observer, placement, config } = this.scope;
    const t = this.operable(id);
    const steps: string[] = [];
    await journal.decide(
      ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RESTARTED,
      id,
      t.drained ? 'restart requested (it was drained)' : 'restart requested',
      async () => {
        if (!t.drained) {
          if (observer.leader?.primaryId === id) steps.push(...(await this.guard.handOver(id)));
          await placement.stop(id, drainGrace(config));
          steps.push(`${id} stopped`);
        }
        t.drained = false;
        const started = await launchNode(this.scope, t);
        steps.push(`${id} started again (pid ${started.pid})`);
        return { pid: started.pid, restarts: t.restarts };
      },
    );
    return steps;
  }

  /**
   * Forgets a node on a host the placement cannot reach, on the operator's word that it is gone:
   * the placement drops its record (and kills and forgets the process if the host ever answers
   * again), so the node may be started on another host on the next pass.
   * @returns the steps taken, for the operator.
   * @throws DomainError as `drain` does, or `precondition` unless its host is unreachable now.
   */
  async forget(id: string): Promise<string[]> {
    const { journal, placement } = this.scope;
    const t = this.operable(id);
    const known = placement.knowledge(id);
    if (known.state !== 'unknown' || !known.record)
      throw new DomainError(
        'precondition',
        known.state === 'running'
          ? `${id} runs on ${known.record.host || 'this machine'}, whose placement answers: stop or drain it instead`
          : known.state === 'stopped'
            ? `${id} is known stopped${known.record?.host ? ` on ${known.record.host}` : ''}: the control plane starts it again on its own`
            : `${id} has no record on an unreachable host (${known.reason}): there is nothing to forget`,
      );
    const host = known.record.host;
    await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_FORGOTTEN, id, `forget requested: ${known.reason}`, () => {
      placement.abandon(id);
      t.phase = NodePhase.NODE_PHASE_PENDING;
      t.unreachableSince = 0;
      t.detail = `forgotten on ${host} by an operator; started elsewhere`;
      this.scope.wake();
      return Promise.resolve({ host, unreachableSinceUnixMs: known.since });
    });
    return [`${id}'s record on ${host} dropped; it is started on another host next, and killed and forgotten on ${host} if that host answers again`];
  }

  /**
   * The node must exist, be ours, and this instance must lead.
   * @throws DomainError `unavailable` (not acting now), `not-found`, or `precondition` (started by hand).
   */
  private operable(id: string): Track {
    const { observer, tracks, config } = this.scope;
    // The Scale handlers check these first (with the leader's address); this is for the race.
    if (!this.scope.mayAct())
      throw new DomainError(
        'unavailable',
        `this control plane does not act now (standby, blind or stopping); the leader is ${this.leaderId() ?? 'not elected yet'}`,
      );
    const t = tracks.find(id);
    if (!t || (!t.declared && !observer.members.has(id))) throw new DomainError('not-found', `no node "${id}" in cluster ${config.name}`);
    if (!t.managed && !t.declared)
      throw new DomainError('precondition', `${id} was started outside the control plane; stop or restart it where it was started`);
    if (!t.managed && observer.members.has(id))
      throw new DomainError('precondition', `${id} runs outside the control plane (started by hand); stop or restart it where it was started`);
    return t;
  }
}
