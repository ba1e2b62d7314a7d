import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import { ClusterEventKind, NodePhase, type TopologyNode } from '../../gen/shoal/v1/scale';
import type { ClusterConfig } from '../../common/config/clusterConfig';
import type { ConsulApi } from '../../common/consul/ConsulApi';
import { failover, PrimaryChangeError, switchover } from '../../common/cluster/changePrimary';
import { readLeader } from '../../common/cluster/leaderRecord';
import { roleToProto } from '../../common/cluster/roles';
import { failedPrecondition, notFound, unavailable } from '../../common/grpc/ServerError';
import { Backoff } from '../../common/net/Backoff';
import { waitFor } from '../../common/time/waitFor';
import { detailsOf, type EventJournal } from '../events/EventJournal';
import type { ClusterObserver } from '../observe/ClusterObserver';
import type { Spawner } from '../spawner/Spawner';
import { type DeclaredNode, declaredNodes } from './declaredNodes';

export interface ReconcilerOptions {
  config: ClusterConfig;
  consul: ConsulApi;
  observer: ClusterObserver;
  spawner: Spawner;
  journal: EventJournal;
  /** Whether this instance holds the lock now; checked before every step. */
  isLeader: () => boolean;
  /** The lock holder's id, for errors sent to callers of a standby. */
  leaderId: () => string | undefined;
  /** Hands the leases of a dead worker back to the queue (Events.ReleaseWorker on the primary). */
  releaseLeases: (workerId: string, reason: string) => Promise<number>;
  logger: Logger;
}

/** What the control plane keeps about one node between reconcile passes. */
interface Track {
  id: string;
  declared?: DeclaredNode;
  phase: NodePhase;
  /** Its process is ours (started or re-adopted by the spawner). */
  managed: boolean;
  pid: number;
  restarts: number;
  backoff: Backoff;
  /** No start before this (restart backoff), ms. */
  nextStartAt: number;
  /** When the control plane last started it, ms; 0 if never. */
  startedAt: number;
  /** Since when it runs without passing, ms; 0 when it passes. */
  suspectedAt: number;
  drained: boolean;
  /** The unmanaged-adoption event was recorded. */
  adoptionReported: boolean;
  detail: string;
}

/** A failover that cannot be made now is tried again after this, ms. */
const FAILOVER_RETRY_MS = 1000;
/** A node that passes this long after a start has its restart backoff reset, ms. */
const STABLE_AFTER_MS = 10_000;

/**
 * The reconcile loop: declared topology (the config) against observed (Consul, status streams,
 * the spawner's processes). It runs every `controlPlane.reconcileInterval` and whenever
 * something is observed, one pass at a time, and only while this instance leads and sees
 * Consul. Operator actions (Drain, Restart) run between passes, never during one.
 *
 * Per node, one pass:
 * - ours and passing: running.
 * - ours, process running, not passing: given `startTimeout` after a start; otherwise
 *   suspected, and after `suspectAfter` without a sample or a passing check it is hung:
 *   failed over if primary, then removed from rotation and replaced.
 * - ours, process gone: down; the primary is failed over at once; the node is started again
 *   after its backoff (an old primary comes back as a replica: it follows the leader record).
 * - not ours but in Consul (started by hand): observed only; failed over if it is the primary
 *   and gone, never restarted.
 * - declared, not running anywhere: started.
 */
export class Reconciler {
  private readonly tracks = new Map<string, Track>();
  private declared: DeclaredNode[];
  /** Workers being drained and stopped after a scale-down; not reconciled meanwhile. */
  private readonly retiring = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private queuedPass: Promise<void> | undefined;
  /** Since when nodes hold a term above the leader record's with no primary in it; 0 if not. */
  private termGapSince = 0;
  private stopped = false;
  private failoverRetryAt = 0;
  private lastBlocked = '';

  constructor(private readonly opts: ReconcilerOptions) {
    this.declared = declaredNodes(opts.config);
    for (const d of this.declared) this.track(d.id).declared = d;
  }

  start(): void {
    this.timer = setInterval(() => void this.wake(), this.opts.config.controlPlane.reconcileInterval);
    this.opts.spawner.onExit(() => void this.wake());
  }

  /** Stops acting: no pass or action starts after this, and the one running is waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.queue;
  }

  /**
   * Runs a pass soon (coalesced: one queued pass covers every wake before it starts).
   * @returns when that pass is done; callers that only nudge the loop ignore it.
   */
  wake(): Promise<void> {
    if (this.queuedPass) return this.queuedPass;
    // A pass is its own root: decisions in it start their own traces, whatever woke it.
    const pass = context.with(ROOT_CONTEXT, () =>
      this.exclusive(async () => {
        this.queuedPass = undefined;
        await this.pass();
      }),
    );
    this.queuedPass = pass.catch(() => undefined);
    return this.queuedPass;
  }

  /** Declared and observed nodes, for GetTopology. */
  topology(): TopologyNode[] {
    const { observer } = this.opts;
    // Declared, in Consul, or ours; not a node started by hand that has since left Consul.
    const managed = [...this.tracks.values()].filter((t) => t.managed).map((t) => t.id);
    const ids = new Set([...this.declared.map((d) => d.id), ...observer.members.keys(), ...managed]);
    return [...ids].map((id) => {
      const t = this.track(id);
      const member = observer.members.get(id);
      const sample = observer.stream(id)?.state;
      // The spawner's record decides, so a standby reports the same as the leader.
      const proc = this.opts.spawner.running(id);
      const managed = t.managed || proc !== undefined;
      return {
        id,
        declaredRole: t.declared ? roleToProto(t.declared.role) : NodeRole.NODE_ROLE_UNSPECIFIED,
        observedRole: sample?.connected && sample.sample ? sample.sample.role : (member?.role ?? NodeRole.NODE_ROLE_UNSPECIFIED),
        health: member?.health ?? MemberHealth.MEMBER_HEALTH_UNSPECIFIED,
        phase: t.phase,
        managed,
        restarts: proc?.restarts ?? t.restarts,
        grpcAddress: member?.grpcAddress ?? '',
        pid: proc?.pid ?? 0,
        streamConnected: sample?.connected ?? false,
        lastSampleUnixMs: sample?.lastSampleAt ?? 0,
        term: sample?.sample?.term ?? 0,
        logPosition: sample?.sample?.logPosition ?? 0,
        lastSample: sample?.sample,
        detail: t.detail || (managed ? '' : member ? 'started outside the control plane: observed, failed over if primary, never restarted' : ''),
      };
    });
  }

  /**
   * Takes a node out of service: a primary hands over to the most advanced healthy replica
   * first; then the node drains (SIGTERM) and stays stopped until `restart`.
   */
  drain(id: string): Promise<string[]> {
    return this.exclusive(async () => {
      const t = this.operable(id);
      const steps: string[] = [];
      await this.opts.journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_DRAINED, id, 'drain requested', async () => {
        if (this.opts.observer.leader?.primaryId === id) steps.push(...(await this.handOver(id)));
        t.drained = true;
        this.opts.spawner.setDrained(id, true);
        t.phase = NodePhase.NODE_PHASE_DRAINED;
        t.detail = 'drained on request; Restart brings it back';
        await this.opts.spawner.stop(id, this.opts.config.health.drainTimeout + 5000);
        steps.push(`${id} drained and stopped; it stays stopped until restarted`);
        return { steps: steps.length };
      });
      return steps;
    });
  }

  /** Stops a node gracefully (a primary hands over first) and starts it again; brings a drained node back. */
  restart(id: string): Promise<string[]> {
    return this.exclusive(async () => {
      const t = this.operable(id);
      const steps: string[] = [];
      await this.opts.journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RESTARTED, id, t.drained ? 'restart requested (it was drained)' : 'restart requested', async () => {
        if (!t.drained) {
          if (this.opts.observer.leader?.primaryId === id) steps.push(...(await this.handOver(id)));
          await this.opts.spawner.stop(id, this.opts.config.health.drainTimeout + 5000);
          steps.push(`${id} stopped`);
        }
        t.drained = false;
        const spawned = await this.launch(t);
        steps.push(`${id} started again (pid ${spawned.pid})`);
        return { pid: spawned.pid, restarts: t.restarts };
      });
      return steps;
    });
  }

  /** Workers the config declares now (the autoscaler changes it). */
  get workerCount(): number {
    return this.declared.filter((d) => d.role === 'worker').length;
  }

  /**
   * Declares `count` workers. Added ones (the lowest free `<template>-<n>` ids) start on the
   * next pass. Removed ones are the least useful first (not running yet, then the least busy);
   * each drains (SIGTERM: it stops leasing, finishes or hands back its events, leaves Consul)
   * and is forgotten. Resolves with the ids added and removed, once the removed ones stopped.
   */
  async setWorkerCount(count: number): Promise<{ added: string[]; removed: string[] }> {
    const template = declaredNodes(this.opts.config).find((d) => d.role === 'worker');
    if (!template) throw failedPrecondition('the cluster config declares no worker template to scale');
    const workers = this.declared.filter((d) => d.role === 'worker');
    const added: string[] = [];
    const base = template.id.replace(/-\d+$/, '');
    for (let n = 1; workers.length + added.length < count; n++) {
      const id = `${base}-${n}`;
      if (workers.some((w) => w.id === id) || this.retiring.has(id) || this.opts.observer.members.has(id)) continue;
      const d: DeclaredNode = { ...template, id };
      this.declared.push(d);
      this.track(id).declared = d;
      added.push(id);
    }
    const busy = (id: string) => {
      const s = this.opts.observer.stream(id)?.state;
      return s?.connected && s.sample ? s.sample.cpuPercent : -1;
    };
    const removed = workers
      .sort((a, b) => busy(a.id) - busy(b.id) || b.id.localeCompare(a.id))
      .slice(0, Math.max(0, workers.length - count))
      .map((w) => w.id);
    this.declared = this.declared.filter((d) => !removed.includes(d.id));
    await Promise.all(removed.map((id) => this.retire(id)));
    if (added.length) void this.wake();
    return { added, removed };
  }

  /** Drains and stops a worker no longer declared, and forgets it. */
  private async retire(id: string): Promise<void> {
    this.retiring.add(id);
    const t = this.track(id);
    t.declared = undefined;
    t.phase = NodePhase.NODE_PHASE_DRAINED;
    t.detail = 'scaled down: draining';
    try {
      await this.opts.spawner.stop(id, this.opts.config.health.drainTimeout + 5000);
      this.opts.spawner.forget(id);
      this.tracks.delete(id);
    } finally {
      this.retiring.delete(id);
    }
  }

  /** The node must exist, be ours, and this instance must lead. */
  private operable(id: string): Track {
    // The Scale handlers check these first (with the leader's address); this is for the race.
    if (!this.mayAct) throw unavailable(`this control plane does not act now (standby, blind or stopping); the leader is ${this.opts.leaderId() ?? 'not elected yet'}`);
    const t = this.tracks.get(id);
    if (!t || (!t.declared && !this.opts.observer.members.has(id))) throw notFound(`no node "${id}" in cluster ${this.opts.config.name}`);
    if (!t.managed && !t.declared) throw failedPrecondition(`${id} was started outside the control plane; stop or restart it where it was started`);
    if (!t.managed && this.opts.observer.members.has(id)) throw failedPrecondition(`${id} runs outside the control plane (started by hand); stop or restart it where it was started`);
    return t;
  }

  /** A planned handover from the primary `id` to the most advanced passing replica. */
  private async handOver(id: string): Promise<string[]> {
    const { observer } = this.opts;
    const best = [...observer.members.values()]
      .filter((m) => m.id !== id && m.health === MemberHealth.MEMBER_HEALTH_PASSING && observer.stream(m.id)?.state.sample?.role === NodeRole.NODE_ROLE_REPLICA)
      .sort((a, b) => (observer.stream(b.id)?.state.sample?.logPosition ?? 0) - (observer.stream(a.id)?.state.sample?.logPosition ?? 0))[0];
    if (!best) throw failedPrecondition(`${id} is the primary and no healthy replica can take over`);
    const change = await this.opts.journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_SWITCHED_OVER, id, `${id} must stop; ${best.id} takes over`, async () => {
      const c = await switchover({ consul: this.opts.consul, cluster: this.opts.config.name, minAcks: this.opts.config.sync.minAcks, timeoutMs: 10_000 }, best.id);
      return { from: c.from, to: c.to, term: c.term, startPosition: c.startPosition };
    });
    const { to, term } = detailsOf(change);
    return [`switched over from ${id} to ${to} (term ${term})`];
  }

  /** Runs `fn` after everything queued before it; passes and operator actions never overlap. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch((err: unknown) => this.opts.logger.error({ err }, 'reconcile step failed'));
    return run;
  }

  private track(id: string): Track {
    let t = this.tracks.get(id);
    if (!t) {
      const { restartBackoffInitial, restartBackoffMax } = this.opts.config.controlPlane;
      t = {
        id,
        phase: NodePhase.NODE_PHASE_PENDING,
        managed: false,
        pid: 0,
        restarts: 0,
        backoff: new Backoff({ initialMs: restartBackoffInitial, maxMs: restartBackoffMax }),
        nextStartAt: 0,
        startedAt: 0,
        suspectedAt: 0,
        drained: false,
        adoptionReported: false,
        detail: '',
      };
      this.tracks.set(id, t);
    }
    return t;
  }

  /** Still allowed to act: leading and seeing. Checked before each step, so a lost lock stops at once. */
  private get mayAct(): boolean {
    return !this.stopped && this.opts.isLeader() && !this.opts.observer.blind;
  }

  private async pass(): Promise<void> {
    if (!this.mayAct) return;
    const ids = new Set([...this.declared.map((d) => d.id), ...this.opts.observer.members.keys()]);
    for (const id of ids) {
      if (!this.mayAct) return;
      if (this.retiring.has(id)) continue;
      try {
        await this.reconcile(this.track(id));
      } catch (err) {
        this.opts.logger.error({ err, node: id }, 'could not reconcile a node');
      }
    }
    if (this.mayAct) await this.checkTerms();
  }

  /**
   * Nodes that hold a term above the leader record's, with no primary in it, were fenced by a
   * failover that did not finish (or a switchover under way). They refuse the record's primary,
   * so writes stall. Once that has lasted `suspectAfter` (a switchover takes milliseconds), the
   * most advanced state node, the record's primary included, is made primary in a new term.
   */
  private async checkTerms(): Promise<void> {
    const { observer, config } = this.opts;
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
    await this.failOver(record.primaryId, `nodes hold term ${highest}, above the leader record's ${record.term}, and no primary serves it (a failover that fenced them did not finish)`, true);
  }

  private async reconcile(t: Track): Promise<void> {
    const { observer, spawner, journal, config } = this.opts;
    const now = Date.now();
    const member = observer.members.get(t.id);
    const stream = observer.stream(t.id)?.state;
    const isPrimary = observer.leader?.primaryId === t.id;
    const passing = member?.health === MemberHealth.MEMBER_HEALTH_PASSING && stream?.connected === true;
    const proc = spawner.running(t.id);

    if (!t.managed) {
      // Started by this spawner before (by another instance, or before a restart): ours, running
      // or not. A running one gets startTimeout from now to pass, as if just started.
      const record = proc ?? spawner.recorded(t.id);
      if (record) {
        journal.observe(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_ADOPTED, t.id, proc ? `re-adopted its running process (pid ${proc.pid}) from the run directory` : `re-adopted from the run directory; its process (pid ${record.pid}) is gone`, { pid: record.pid, managed: true });
        t.managed = true;
        t.pid = record.pid;
        t.restarts = record.restarts ?? 0;
        t.drained = record.drained ?? false;
        if (proc) {
          t.startedAt = now;
          t.phase = t.drained ? NodePhase.NODE_PHASE_DRAINED : passing ? NodePhase.NODE_PHASE_RUNNING : NodePhase.NODE_PHASE_STARTING;
        }
      }
    }

    if (proc) {
      if (t.pid !== proc.pid) t.pid = proc.pid;
      if (t.drained) return;
      if (passing) {
        if (t.phase === NodePhase.NODE_PHASE_SUSPECTED || t.phase === NodePhase.NODE_PHASE_STARTING) {
          journal.observe(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RECOVERED, t.id, t.phase === NodePhase.NODE_PHASE_STARTING ? 'passing in Consul, status stream live' : 'passing again', {
            restarts: t.restarts,
            ...(t.startedAt ? { startupMs: now - t.startedAt } : {}),
          });
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
      // Hung: no sample and no passing check for suspectAfter.
      const lastSign = Math.max(stream?.lastSampleAt ?? 0, member?.health === MemberHealth.MEMBER_HEALTH_PASSING ? now : 0, t.suspectedAt);
      if (now - lastSign >= config.controlPlane.suspectAfter) {
        await this.replace(t, `its process runs but it has sent no status and passed no check for ${now - lastSign} ms`, isPrimary);
      }
      return;
    }

    if (t.managed) {
      if (t.drained) return;
      if (t.phase !== NodePhase.NODE_PHASE_DOWN) {
        journal.observe(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_DOWN, t.id, `its process (pid ${t.pid}) exited`, { pid: t.pid });
        t.phase = NodePhase.NODE_PHASE_DOWN;
        const delay = t.backoff.next();
        t.nextStartAt = now + delay;
        setTimeout(() => void this.wake(), delay).unref();
        t.detail = 'process exited; restarting';
      }
      if (isPrimary) await this.failOver(t.id, `the primary's process (pid ${t.pid}) exited`);
      if (Date.now() >= t.nextStartAt && this.mayAct) {
        await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RESTARTED, t.id, `its process exited; restart ${t.restarts + 1}`, async () => {
          const released = t.declared?.role === 'worker' ? await this.release(t.id, `its process (pid ${t.pid}) exited`) : 0;
          const spawned = await this.launch(t);
          return { pid: spawned.pid, restarts: t.restarts, leasesReleased: released };
        });
      }
      return;
    }

    if (member) {
      // Started outside the control plane (by hand): observed, failed over, never restarted.
      if (!t.adoptionReported) {
        journal.observe(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_ADOPTED, t.id, 'started outside the control plane: observed and failed over if primary, never restarted', { managed: false });
        t.adoptionReported = true;
      }
      t.phase = passing ? NodePhase.NODE_PHASE_RUNNING : NodePhase.NODE_PHASE_SUSPECTED;
      // Silent: no stream, or a stream that sends nothing (a hung process keeps its socket).
      const lastHeard = Math.max(stream?.lastSampleAt ?? 0, stream?.brokeAt ?? 0);
      const silent = !stream?.connected || now - (stream.lastSampleAt || now) >= config.controlPlane.suspectAfter;
      const gone = silent && (member.health === MemberHealth.MEMBER_HEALTH_CRITICAL || (lastHeard > 0 && now - lastHeard >= config.controlPlane.suspectAfter));
      if (isPrimary && gone) await this.failOver(t.id, `primary ${t.id} (not managed) is gone: no status stream, Consul check ${member.health === MemberHealth.MEMBER_HEALTH_CRITICAL ? 'critical' : 'silent'}`);
      return;
    }

    if (t.declared && !t.drained && this.mayAct) {
      await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_STARTED, t.id, 'declared in the cluster config and not running', async () => {
        const spawned = await this.launch(t);
        return { pid: spawned.pid, grpcPort: spawned.grpcPort };
      });
    }
  }

  /** A dead worker's leases go back to the queue now, not when they expire; 0 if that fails. */
  private async release(workerId: string, reason: string): Promise<number> {
    try {
      return await this.opts.releaseLeases(workerId, reason);
    } catch (err) {
      this.opts.logger.warn({ node: workerId, err: (err as Error).message }, 'could not release the leases of a dead worker; they expire on their own');
      return 0;
    }
  }

  /** Starts the node through the spawner and follows its stream as soon as its port is known. */
  private async launch(t: Track) {
    if (!t.declared) throw failedPrecondition(`${t.id} is not declared in the cluster config; the control plane cannot start it`);
    // A node that had a process before (ours, or re-adopted from another control plane) restarts.
    const restarts = t.pid !== 0 ? t.restarts + 1 : t.restarts;
    const spawned = await this.opts.spawner.start(t.declared, restarts);
    t.restarts = restarts;
    t.managed = true;
    t.pid = spawned.pid;
    t.startedAt = Date.now();
    t.phase = NodePhase.NODE_PHASE_STARTING;
    t.detail = '';
    if (spawned.grpcPort) this.opts.observer.watchNode(t.id, `127.0.0.1:${spawned.grpcPort}`);
    return spawned;
  }

  /** A hung or never-healthy node: out of rotation (deregistered, killed), then started afresh. */
  private async replace(t: Track, reason: string, isPrimary: boolean): Promise<void> {
    if (isPrimary) await this.failOver(t.id, `primary ${t.id} is not serving: ${reason}`);
    if (!this.mayAct) return;
    await this.opts.journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_REMOVED, t.id, reason, async () => {
      await this.opts.consul.deregisterService(t.id).catch(() => undefined);
      this.opts.spawner.kill(t.id);
      await waitFor(`${t.id} to exit`, () => !this.opts.spawner.running(t.id), { timeoutMs: 5000, intervalMs: 20 });
      const released = t.declared?.role === 'worker' ? await this.release(t.id, reason) : 0;
      const spawned = await this.launch(t);
      return { pid: spawned.pid, restarts: t.restarts, leasesReleased: released };
    });
  }

  /**
   * Fails the primary over to the most advanced replica (see `failover`): the replicas take the
   * next term first, so the old primary can get no write acknowledged any more. When too few
   * replicas answer to be sure no acknowledged write is lost, nothing changes and it is tried
   * again a second later.
   */
  private async failOver(id: string, reason: string, includeCurrent = false): Promise<void> {
    if (Date.now() < this.failoverRetryAt || !this.mayAct) return;
    const { journal, config } = this.opts;
    // The observer's copy of the leader record may trail a failover made a moment ago.
    if ((await readLeader(this.opts.consul, config.name)).record?.primaryId !== id) return;
    try {
      await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_FAILED_OVER, id, reason, async () => {
        const change = await failover({
          consul: this.opts.consul,
          cluster: config.name,
          expectPrimary: id,
          includeCurrent,
          minAcks: config.sync.minAcks,
          stateNodeIds: this.declared.filter((d) => d.role !== 'worker').map((d) => d.id),
          timeoutMs: 5000,
          progress: (line) => this.opts.logger.info({ node: id }, `failover: ${line}`),
        });
        await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_PROMOTED, change.to, `the most advanced replica; primary from position ${change.startPosition} in term ${change.term}`, () =>
          Promise.resolve({ term: change.term, startPosition: change.startPosition, from: change.from }),
        );
        return { from: change.from, to: change.to, term: change.term, startPosition: change.startPosition, steps: change.steps.join('; ') };
      });
      this.failoverRetryAt = 0;
      this.lastBlocked = '';
    } catch (err) {
      this.failoverRetryAt = Date.now() + FAILOVER_RETRY_MS;
      const message = err instanceof PrimaryChangeError ? err.message : `failover failed: ${(err as Error).message}`;
      // One event per distinct reason; the retries are in the log.
      if (message === this.lastBlocked) return void this.opts.logger.warn({ node: id, reason: message }, 'failover still blocked');
      this.lastBlocked = message;
      await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_FAILOVER_BLOCKED, id, message, () => Promise.resolve({ retryInMs: FAILOVER_RETRY_MS }));
    }
  }
}
