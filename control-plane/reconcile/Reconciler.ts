import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import type { TopologyNode } from '../../gen/shoal/v1/scale';
import type { ClusterConfig } from '../../common/config/clusterConfig';
import { roleToProto } from '../../common/cluster/roles';
import type { Placement } from '../placement/Placement';
import { type NodeRegistry, NodeStateMachine, type ReleaseLeases } from './NodeStateMachine';
import { NodeTracks } from './NodeTracks';
import { OperatorActions } from './OperatorActions';
import { PrimaryGuard, type PrimaryChanges } from './PrimaryGuard';
import type { DecisionJournal, ObservedCluster, ReconcileScope } from './ReconcileScope';
import { WorkerScaling } from './WorkerScaling';

export interface ReconcilerOptions {
  config: ClusterConfig;
  /** Where nodes register (Consul): a replaced node is deregistered first. */
  registry: NodeRegistry;
  /** Failover and switchover (primaryChangesOverConsul). */
  primaries: PrimaryChanges;
  observer: ObservedCluster;
  placement: Placement;
  journal: DecisionJournal;
  /** Whether this instance holds the lock now; checked before every step. */
  isLeader: () => boolean;
  /** The lock holder's id, for errors sent to callers of a standby. */
  leaderId: () => string | undefined;
  releaseLeases: ReleaseLeases;
  logger: Logger;
}

/**
 * The reconcile loop: declared topology (the config) against observed (Consul, status streams,
 * the placement's processes). It runs every `controlPlane.reconcileInterval` and whenever
 * something is observed, one pass at a time, and only while this instance leads and sees
 * Consul. A pass steps each node (NodeStateMachine), then checks the terms (PrimaryGuard).
 * Operator actions (Drain, Restart: OperatorActions) and scaling (WorkerScaling) run between
 * passes, never during one.
 */
export class Reconciler {
  private readonly tracks: NodeTracks;
  private readonly scope: ReconcileScope;
  private readonly guard: PrimaryGuard;
  private readonly nodes: NodeStateMachine;
  private readonly actions: OperatorActions;
  private readonly scaling: WorkerScaling;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private queuedPass: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: ReconcilerOptions) {
    this.tracks = new NodeTracks(opts.config);
    this.scope = {
      config: opts.config,
      observer: opts.observer,
      placement: opts.placement,
      journal: opts.journal,
      tracks: this.tracks,
      logger: opts.logger,
      mayAct: () => this.mayAct,
      wake: () => void this.wake(),
    };
    this.guard = new PrimaryGuard(this.scope, opts.primaries);
    this.scaling = new WorkerScaling(this.scope);
    this.nodes = new NodeStateMachine(this.scope, this.guard, opts.registry, opts.releaseLeases, this.scaling);
    this.actions = new OperatorActions(this.scope, this.guard, opts.leaderId);
  }

  start(): void {
    this.timer = setInterval(() => void this.wake(), this.opts.config.controlPlane.reconcileInterval);
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
    const { observer, placement } = this.opts;
    // Declared, in Consul, or ours; not a node started by hand that has since left Consul.
    const ids = new Set([...this.tracks.declared.map((d) => d.id), ...observer.members.keys(), ...this.tracks.managedIds()]);
    return [...ids].map((id) => {
      const t = this.tracks.track(id);
      const member = observer.members.get(id);
      const sample = observer.stream(id)?.state;
      // The placement's record decides, so a standby reports the same as the leader.
      const known = placement.knowledge(id);
      const proc = known.state === 'running' ? known.record : undefined;
      const managed = t.managed || known.record !== undefined;
      return {
        id,
        declaredRole: t.declared ? roleToProto(t.declared.role) : NodeRole.NODE_ROLE_UNSPECIFIED,
        observedRole: sample?.connected && sample.sample ? sample.sample.role : (member?.role ?? NodeRole.NODE_ROLE_UNSPECIFIED),
        health: member?.health ?? MemberHealth.MEMBER_HEALTH_UNSPECIFIED,
        phase: t.phase,
        managed,
        restarts: proc?.restarts ?? t.restarts,
        grpcAddress: (known.state !== 'stopped' && known.record?.grpcAddress) || member?.grpcAddress || '',
        pid: proc?.pid ?? (known.state === 'unknown' ? (known.record?.pid ?? 0) : 0),
        streamConnected: sample?.connected ?? false,
        lastSampleUnixMs: sample?.lastSampleAt ?? 0,
        term: sample?.sample?.term ?? 0,
        logPosition: sample?.sample?.logPosition ?? 0,
        lastSample: sample?.sample,
        host: known.record?.host || t.host,
        detail: t.detail || (managed ? '' : member ? 'started outside the control plane: observed, failed over if primary, never restarted' : ''),
      };
    });
  }

  /** See OperatorActions.drain; run between passes. */
  drain(id: string): Promise<string[]> {
    return this.exclusive(() => this.actions.drain(id));
  }

  /** See OperatorActions.restart; run between passes. */
  restart(id: string): Promise<string[]> {
    return this.exclusive(() => this.actions.restart(id));
  }

  /** See OperatorActions.forget; run between passes. */
  forget(id: string): Promise<string[]> {
    return this.exclusive(() => this.actions.forget(id));
  }

  /** Workers the config declares now (the autoscaler changes it). */
  get workerCount(): number {
    return this.scaling.workerCount;
  }

  /** See WorkerScaling.setWorkerCount. */
  setWorkerCount(count: number): Promise<{ added: string[]; removed: string[] }> {
    return this.scaling.setWorkerCount(count);
  }

  /** Runs `fn` after everything queued before it; passes and operator actions never overlap. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch((err: unknown) => this.opts.logger.error({ err }, 'reconcile step failed'));
    return run;
  }

  /** Still allowed to act: leading and seeing. Checked before each step, so a lost lock stops at once. */
  private get mayAct(): boolean {
    return !this.stopped && this.opts.isLeader() && !this.opts.observer.blind;
  }

  private async pass(): Promise<void> {
    if (!this.mayAct) return;
    const ids = new Set([...this.tracks.declared.map((d) => d.id), ...this.opts.observer.members.keys()]);
    for (const id of ids) {
      if (!this.mayAct) return;
      if (this.tracks.retiring.has(id)) continue;
      try {
        await this.nodes.step(this.tracks.track(id));
      } catch (err) {
        this.opts.logger.error({ err, node: id }, 'could not reconcile a node');
      }
    }
    if (this.mayAct) await this.guard.checkTerms();
  }
}
