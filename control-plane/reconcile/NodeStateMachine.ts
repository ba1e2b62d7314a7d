import { MemberHealth } from '../../gen/shoal/v1/node';
import { ClusterEventKind, NodePhase } from '../../gen/shoal/v1/scale';
import { launchNode } from './launchNode';
import type { Track } from './NodeTracks';
import type { PrimaryGuard } from './PrimaryGuard';
import { primaryLoss } from './primaryLoss';
import type { ReconcileScope } from './ReconcileScope';
import type { WorkerScaling } from './WorkerScaling';

/** Where nodes are registered (Consul): a node replaced is taken out of rotation first. */
export interface NodeRegistry {
  deregisterService(id: string): Promise<void>;
}

/** Hands the leases of a dead worker back to the queue (Events.ReleaseWorker on the primary); resolves with how many. */
export type ReleaseLeases = (workerId: string, reason: string) => Promise<number>;

/** A node that passes this long after a start has its restart backoff reset, ms. */
const STABLE_AFTER_MS = 10_000;

/**
 * What one reconcile pass does for one node:
 * - ours and passing: running.
 * - ours, process running, not passing: given `startTimeout` after a start; otherwise
 *   suspected, and after `suspectAfter` without a sample or a passing check it is hung:
 *   failed over if primary, then removed from rotation and replaced.
 * - ours, process gone: down; the primary is failed over at once; the node is started again
 *   after its backoff (an old primary comes back as a replica: it follows the leader record).
 * - not ours but in Consul (started by hand): observed only; failed over if it is the primary
 *   and gone, never restarted.
 * - declared, not running anywhere: started.
 * A process the placement recorded but this instance did not start (another control plane
 * did, or this one before a restart) is re-adopted first.
 */
export class NodeStateMachine {
  constructor(
    private readonly scope: ReconcileScope,
    private readonly guard: PrimaryGuard,
    private readonly registry: NodeRegistry,
    private readonly releaseLeases: ReleaseLeases,
    private readonly workers: Pick<WorkerScaling, 'replaceUnreachable'>,
  ) {}

  async step(t: Track): Promise<void> {
    const { observer, placement, journal, config } = this.scope;
    const now = Date.now();
    const member = observer.members.get(t.id);
    const stream = observer.stream(t.id)?.state;
    const isPrimary = observer.leader?.primaryId === t.id;
    const passing = member?.health === MemberHealth.MEMBER_HEALTH_PASSING && stream?.connected === true;
    const known = placement.knowledge(t.id);
    const record = known.record;
    const proc = known.state === 'running' ? known.record : undefined;
    if (t.replacedBy) {
      // A worker replaced under a new id: its old process is the placement's to reap; its track goes once that is done.
      if (known.state === 'stopped' && !member) this.scope.tracks.forget(t.id);
      return;
    }
    if (record) t.host = record.host;
    // The placement's address is where this process listens; Consul's may be an impostor's.
    if (record?.grpcAddress && known.state !== 'stopped') observer.watchNode(t.id, record.grpcAddress);

    if (!t.managed && record) {
      // Started by this placement before (by another instance, or before a restart): ours,
      // running, unknown or not. A running one gets startTimeout from now to pass, as if just started.
      const how = { running: 'its process runs', unknown: 'its host cannot be reached', stopped: 'its process is gone' }[known.state];
      journal.observe(
        ClusterEventKind.CLUSTER_EVENT_KIND_NODE_ADOPTED,
        t.id,
        `re-adopted from the placement's record (pid ${record.pid}${record.host ? ` on ${record.host}` : ''}); ${how}`,
        { pid: record.pid, managed: true, host: record.host },
      );
      t.managed = true;
      t.pid = record.pid;
      t.restarts = record.restarts ?? 0;
      t.drained = record.drained ?? false;
      if (proc) {
        t.startedAt = now;
        t.phase = t.drained ? NodePhase.NODE_PHASE_DRAINED : passing ? NodePhase.NODE_PHASE_RUNNING : NodePhase.NODE_PHASE_STARTING;
      }
    }

    if (known.state === 'unknown') {
      await this.unreachable(t, known.since, known.reason, known.record !== undefined, isPrimary);
      return;
    }
    if (t.unreachableSince) {
      const what = proc ? 'its process runs' : 'its process is not running';
      journal.observe(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RECOVERED, t.id, `${t.host || 'its host'} answers again: ${what}`, {
        unreachableMs: now - t.unreachableSince,
      });
      t.unreachableSince = 0;
      t.detail = '';
      // Running: given its start grace, as a re-adopted process is. Not running: down, restarted as usual.
      if (proc) {
        t.phase = NodePhase.NODE_PHASE_STARTING;
        t.startedAt = now;
      } else t.phase = NodePhase.NODE_PHASE_SUSPECTED;
    }

    if (proc) {
      if (t.pid !== proc.pid) t.pid = proc.pid;
      if (t.drained) return;
      if (passing) {
        if (t.phase === NodePhase.NODE_PHASE_SUSPECTED || t.phase === NodePhase.NODE_PHASE_STARTING) {
          journal.observe(
            ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RECOVERED,
            t.id,
            t.phase === NodePhase.NODE_PHASE_STARTING ? 'passing in Consul, status stream live' : 'passing again',
            {
              restarts: t.restarts,
              ...(t.startedAt ? { startupMs: now - t.startedAt } : {}),
            },
          );
        }
        t.phase = NodePhase.NODE_PHASE_RUNNING;
        t.suspectedAt = 0;
        t.detail = '';
        if (t.startedAt && now - t.startedAt > STABLE_AFTER_MS) t.backoff.reset();
        return;
      }
      if (t.phase === NodePhase.NODE_PHASE_STARTING) {
        if (now - t.startedAt < config.controlPlane.startTimeout) return;
        await this.replace(t, `not passing ${config.controlPlane.startTimeout} ms after it was started`, isPrimary);
        return;
      }
      if (t.phase !== NodePhase.NODE_PHASE_SUSPECTED) {
        t.phase = NodePhase.NODE_PHASE_SUSPECTED;
        t.suspectedAt = now;
        t.detail = member?.health === MemberHealth.MEMBER_HEALTH_PASSING ? 'status stream broken' : 'Consul check not passing';
      }
      if (isPrimary && (await this.failOverIfLost(t, false))) return;
      // Hung: no sample and no passing check for suspectAfter.
      const lastSign = Math.max(stream?.lastSampleAt ?? 0, member?.health === MemberHealth.MEMBER_HEALTH_PASSING ? now : 0, t.suspectedAt);
      if (now - lastSign >= config.controlPlane.suspectAfter) {
        await this.replace(t, `its process runs but it has sent no status and passed no check for ${now - lastSign} ms`, isPrimary);
      }
      return;
    }

    if (t.managed && known.state === 'stopped') {
      if (t.drained) return;
      if (t.phase !== NodePhase.NODE_PHASE_DOWN) {
        journal.observe(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_DOWN, t.id, `its process (pid ${t.pid}) exited`, { pid: t.pid });
        t.phase = NodePhase.NODE_PHASE_DOWN;
        const delay = t.backoff.next();
        t.nextStartAt = now + delay;
        setTimeout(() => this.scope.wake(), delay).unref();
        t.detail = 'process exited; restarting';
      }
      if (isPrimary) await this.guard.failOver(t.id, `the primary's process (pid ${t.pid}) exited`);
      if (Date.now() >= t.nextStartAt && this.scope.mayAct()) {
        await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RESTARTED, t.id, `its process exited; restart ${t.restarts + 1}`, async () => {
          const released = t.declared?.role === 'worker' ? await this.release(t.id, `its process (pid ${t.pid}) exited`) : 0;
          const started = await launchNode(this.scope, t);
          return { pid: started.pid, restarts: t.restarts, leasesReleased: released };
        });
      }
      return;
    }

    if (member) {
      // Started outside the control plane (by hand): observed, failed over, never restarted.
      if (!t.adoptionReported) {
        journal.observe(
          ClusterEventKind.CLUSTER_EVENT_KIND_NODE_ADOPTED,
          t.id,
          'started outside the control plane: observed and failed over if primary, never restarted',
          { managed: false },
        );
        t.adoptionReported = true;
      }
      t.phase = passing ? NodePhase.NODE_PHASE_RUNNING : NodePhase.NODE_PHASE_SUSPECTED;
      // Silent: no stream, or a stream that sends nothing (a hung process keeps its socket).
      const lastHeard = Math.max(stream?.lastSampleAt ?? 0, stream?.brokeAt ?? 0);
      const silent = !stream?.connected || now - (stream.lastSampleAt || now) >= config.controlPlane.suspectAfter;
      const gone = silent && (member.health === MemberHealth.MEMBER_HEALTH_CRITICAL || (lastHeard > 0 && now - lastHeard >= config.controlPlane.suspectAfter));
      if (isPrimary && gone)
        await this.guard.failOver(
          t.id,
          `primary ${t.id} (not managed) is gone: no status stream, Consul check ${member.health === MemberHealth.MEMBER_HEALTH_CRITICAL ? 'critical' : 'silent'}`,
        );
      else if (isPrimary) await this.failOverIfLost(t, false);
      return;
    }

    // Only here is it known that no copy runs: the placement's host said so, or it never started it.
    if (t.declared && !t.drained && this.scope.mayAct()) {
      await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_STARTED, t.id, 'declared in the cluster config and not running', async () => {
        const started = await launchNode(this.scope, t);
        return { pid: started.pid, grpcPort: started.grpcPort };
      });
    }
  }

  /**
   * A node recorded on a host the placement cannot reach: unreachable (observed once). A worker
   * is replaced under a new id on another host after replaceUnreachableAfter; a replica is left
   * alone until its host answers or an operator forgets it; the primary is failed over when the
   * loss rule says it is lost (primaryLoss).
   */
  private async unreachable(t: Track, since: number, reason: string, recorded: boolean, isPrimary: boolean): Promise<void> {
    const { journal, config } = this.scope;
    if (t.phase !== NodePhase.NODE_PHASE_UNREACHABLE) {
      journal.observe(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_UNREACHABLE, t.id, reason, { host: t.host, sinceUnixMs: since });
      t.phase = NodePhase.NODE_PHASE_UNREACHABLE;
    }
    t.unreachableSince = since;
    t.detail = reason;
    if (isPrimary) {
      await this.failOverIfLost(t, false);
      return;
    }
    // Without a record (a host never listed yet) there is nothing to replace: its id may run there.
    if (!recorded || t.declared?.role !== 'worker' || !this.scope.mayAct()) return;
    if (Date.now() - since < config.controlPlane.replaceUnreachableAfter) {
      setTimeout(() => this.scope.wake(), config.controlPlane.replaceUnreachableAfter - (Date.now() - since)).unref();
      return;
    }
    const released = await this.release(t.id, `its host cannot be reached: ${reason}`);
    await this.workers.replaceUnreachable(t, `${reason}, for ${Date.now() - since} ms`, released);
  }

  /**
   * Fails the primary over when primaryLoss says it is lost; a primary only the control plane
   * cannot hear keeps its role (logged once per silence).
   * @returns whether it was lost.
   */
  private async failOverIfLost(t: Track, processGone: boolean): Promise<boolean> {
    const { observer, config, tracks, logger } = this.scope;
    const replicas = tracks.declared
      .filter((d) => d.role !== 'worker' && d.id !== t.id)
      .map((d) => {
        const s = observer.stream(d.id)?.state;
        return { id: d.id, lastSampleAt: s?.lastSampleAt ?? 0, primarySilenceMs: s?.sample?.primarySilenceMs ?? 0 };
      });
    const verdict = primaryLoss({
      now: Date.now(),
      failoverAfterMs: config.controlPlane.failoverAfter,
      processGone,
      lastPrimarySampleAt: observer.stream(t.id)?.state.lastSampleAt ?? 0,
      replicas,
      consulHealth: observer.members.get(t.id)?.health,
    });
    if (verdict.lost) {
      t.silenceLogged = false;
      await this.guard.failOver(t.id, `primary ${t.id} is lost: ${verdict.reason}`);
      return true;
    }
    if (verdict.silentToControlPlaneOnly && !t.silenceLogged) {
      t.silenceLogged = true;
      logger.warn({ node: t.id, reason: verdict.reason }, 'the primary is silent to the control plane only: it keeps its role');
    } else if (!verdict.silentToControlPlaneOnly) t.silenceLogged = false;
    // Looked at again the moment its silence reaches failoverAfter, not at the next periodic pass.
    const lastSample = observer.stream(t.id)?.state.lastSampleAt ?? 0;
    const dueIn = lastSample + config.controlPlane.failoverAfter - Date.now();
    if (lastSample && dueIn > 0) setTimeout(() => this.scope.wake(), dueIn).unref();
    return false;
  }

  /** A dead worker's leases go back to the queue now, not when they expire; 0 if that fails. */
  private async release(workerId: string, reason: string): Promise<number> {
    try {
      return await this.releaseLeases(workerId, reason);
    } catch (err) {
      this.scope.logger.warn({ node: workerId, err: (err as Error).message }, 'could not release the leases of a dead worker; they expire on their own');
      return 0;
    }
  }

  /** A hung or never-healthy node: out of rotation (deregistered, killed), then started afresh. */
  private async replace(t: Track, reason: string, isPrimary: boolean): Promise<void> {
    if (isPrimary) await this.guard.failOver(t.id, `primary ${t.id} is not serving: ${reason}`);
    if (!this.scope.mayAct()) return;
    await this.scope.journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_REMOVED, t.id, reason, async () => {
      await this.registry.deregisterService(t.id).catch(() => undefined);
      await this.scope.placement.stop(t.id, 'kill');
      const released = t.declared?.role === 'worker' ? await this.release(t.id, reason) : 0;
      const started = await launchNode(this.scope, t);
      return { pid: started.pid, restarts: t.restarts, leasesReleased: released };
    });
  }
}
