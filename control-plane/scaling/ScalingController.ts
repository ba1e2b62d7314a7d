import type { Logger } from 'pino';
import type { GetBacklogResponse } from '../../gen/shoal/v1/events';
import { NodeRole } from '../../gen/shoal/v1/node';
import { type ClusterEvent, ClusterEventKind, NodePhase, type TopologyNode } from '../../gen/shoal/v1/scale';
import type { ClusterConfig, ScalingConfig } from '../../common/config/clusterConfig';
import type { Indexed, KvItem } from '../../common/consul/ConsulApi';
import { DomainError } from '../../common/errors/DomainError';
import type { Details } from '../events/EventJournal';
import type { StreamState } from '../observe/NodeStream';
import { Autoscaler } from './Autoscaler';

export function scalingPolicyKey(cluster: string): string {
  return `shoal/${cluster}/scaling-policy`;
}

/** Where the policy is kept (Consul KV). */
export interface PolicyStore {
  kvGet(key: string, opts: { timeoutMs: number }): Promise<Indexed<KvItem | undefined>>;
  kvPut(key: string, value: string): Promise<void>;
}

/** The workers it scales (the Reconciler). */
export interface ScaledWorkers {
  readonly workerCount: number;
  topology(): TopologyNode[];
  setWorkerCount(count: number): Promise<{ added: string[]; removed: string[] }>;
}

export interface ScalingControllerOptions {
  config: ClusterConfig;
  policyStore: PolicyStore;
  /** The primary's backlog (EventsClient). */
  events: { backlog(timeoutMs: number): Promise<GetBacklogResponse> };
  /** The workers' status streams, and whether Consul is in sight (ClusterObserver). */
  observer: { readonly blind: boolean; stream(id: string): { readonly state: StreamState } | undefined };
  workers: ScaledWorkers;
  /** Where its decisions go (EventJournal). */
  journal: { decide(kind: ClusterEventKind, nodeId: string, reason: string, act: () => Promise<Details>): Promise<ClusterEvent> };
  isLeader: () => boolean;
  logger: Logger;
}

/** How often the leader looks at the load, ms. */
const TICK_MS = 1000;

/**
 * Autoscaling of workers, on the leader: once a second it reads the workers' cpu from their
 * status streams and the backlog from the primary, asks the Autoscaler, and applies what it
 * decides through the reconciler (a decision event, span and decision-log entry each, with the
 * figures behind it). The policy is the cluster config's until Scale.SetPolicy writes one to
 * Consul KV, where every control plane reads it.
 */
export class ScalingController {
  private readonly scaler = new Autoscaler();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastDecision: ClusterEvent | undefined;
  private lastBacklog: { figures: GetBacklogResponse; atMs: number } | undefined;
  private lastPolicy: ScalingConfig | undefined;
  private unreadablePolicy: string | undefined;

  constructor(private readonly opts: ScalingControllerOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The policy in force, read from Consul: Consul's, else the config's. */
  async policy(): Promise<ScalingConfig> {
    const { value } = await this.opts.policyStore.kvGet(scalingPolicyKey(this.opts.config.name), { timeoutMs: 2000 });
    let policy = this.opts.config.scaling;
    if (value) {
      try {
        policy = { ...policy, ...(JSON.parse(value.value) as Partial<ScalingConfig>) };
      } catch {
        // Said once per bad value: the policy is read every second.
        if (value.value !== this.unreadablePolicy)
          this.opts.logger.warn({ key: scalingPolicyKey(this.opts.config.name) }, "the scaling policy in Consul is not JSON; using the cluster config's");
        this.unreadablePolicy = value.value;
      }
    }
    this.lastPolicy = policy;
    return policy;
  }

  /** The policy last read, without asking Consul (which may be slow or away). */
  knownPolicy(): ScalingConfig {
    return this.lastPolicy ?? this.opts.config.scaling;
  }

  async setPolicy(policy: ScalingConfig): Promise<ScalingConfig> {
    // The whole policy is replaced: the last writer wins.
    await this.opts.policyStore.kvPut(scalingPolicyKey(this.opts.config.name), JSON.stringify(policy));
    this.opts.logger.info({ policy }, 'scaling policy replaced');
    return policy;
  }

  /**
   * Sets the worker count by hand (within min/max) and turns automatic scaling off.
   * @throws DomainError `invalid-input` when `count` is outside the policy's min/max.
   */
  async scaleWorkers(count: number): Promise<number> {
    const policy = await this.policy();
    if (count < policy.minWorkers || count > policy.maxWorkers) {
      throw new DomainError(
        'invalid-input',
        `workers must be from min_workers ${policy.minWorkers} to max_workers ${policy.maxWorkers} (got ${count}); change the policy first`,
      );
    }
    await this.setPolicy({ ...policy, enabled: false });
    const from = this.opts.workers.workerCount;
    if (count !== from)
      await this.apply(count > from ? 'up' : 'down', from, count, 'set by hand (Scale.ScaleWorkers); automatic scaling is off until SetPolicy turns it on', {});
    return count;
  }

  /** Workers counted now: declared, passing, streaming. */
  runningWorkers(): string[] {
    return this.opts.workers
      .topology()
      .filter((n) => n.declaredRole === NodeRole.NODE_ROLE_WORKER && n.phase === NodePhase.NODE_PHASE_RUNNING)
      .map((n) => n.id);
  }

  get last(): ClusterEvent | undefined {
    return this.lastDecision;
  }

  /** The backlog the last tick read from the primary (ticks run on the leader only). */
  get backlog(): { figures: GetBacklogResponse; atMs: number } | undefined {
    return this.lastBacklog;
  }

  private async tick(): Promise<void> {
    if (this.running || !this.opts.isLeader() || this.opts.observer.blind) return;
    this.running = true;
    try {
      const policy = await this.policy();
      const running = this.runningWorkers();
      const backlog = await this.opts.events.backlog(2000);
      this.lastBacklog = { figures: backlog, atMs: Date.now() };
      const cpus = running.map((id) => this.opts.observer.stream(id)?.state.sample?.cpuPercent ?? 0);
      const desired = this.opts.workers.workerCount;
      const d = this.scaler.decide(policy, { now: Date.now(), workers: running.length, desired, cpus, backlog: backlog.pending + backlog.leased });
      if (d && this.opts.isLeader()) await this.apply(d.direction, d.from, d.to, d.reason, d.metrics);
    } catch (err) {
      this.opts.logger.debug({ err: (err as Error).message }, 'scaling tick skipped');
    } finally {
      this.running = false;
    }
  }

  private async apply(direction: 'up' | 'down', from: number, to: number, reason: string, metrics: Record<string, number>): Promise<void> {
    if (!this.opts.isLeader()) throw new DomainError('precondition', 'this control plane does not lead');
    const kind = direction === 'up' ? ClusterEventKind.CLUSTER_EVENT_KIND_SCALED_UP : ClusterEventKind.CLUSTER_EVENT_KIND_SCALED_DOWN;
    this.lastDecision = await this.opts.journal.decide(kind, '', `workers ${from} → ${to}: ${reason}`, async () => {
      const { added, removed } = await this.opts.workers.setWorkerCount(to);
      return { ...metrics, from, to, added: added.join(',') || '-', drained: removed.join(',') || '-' };
    });
  }
}
