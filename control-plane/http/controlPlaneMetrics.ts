import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { MemberHealth } from '../../gen/shoal/v1/node';
import { type ClusterEvent } from '../../gen/shoal/v1/scale';
import { healthName } from '../../common/cluster/memberFromConsul';
import { kindName } from '../events/EventJournal';
import type { ScaleContext } from '../scale/ScaleContext';

/**
 * The control plane's Prometheus metrics: decisions and observations by kind, whether this
 * instance leads and sees Consul, and the nodes by health and phase as it sees them.
 */
export class ControlPlaneMetrics {
  readonly registry = new Registry();
  private readonly decisions = new Counter({
    name: 'shoal_control_plane_decisions_total',
    help: 'Decisions this control-plane instance made, by kind (node_restarted, failed_over, …).',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly observations = new Counter({
    name: 'shoal_control_plane_observations_total',
    help: 'Observations this control-plane instance recorded, by kind (node_down, consul_blind, …).',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  constructor(ctx: () => ScaleContext | undefined) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'shoal_control_plane_leader',
      help: '1 when this instance holds the control-plane lock (and acts), else 0.',
      registers: [this.registry],
      collect() {
        this.set(ctx()?.isLeader() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'shoal_control_plane_blind',
      help: '1 while this instance cannot reach Consul (it then decides nothing), else 0.',
      registers: [this.registry],
      collect() {
        this.set(ctx()?.observer.blind === false ? 0 : 1);
      },
    });
    new Gauge({
      name: 'shoal_control_plane_nodes',
      help: 'Nodes as this instance sees them, by Consul health and whether it manages them.',
      labelNames: ['health', 'managed'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const n of ctx()?.reconciler.topology() ?? []) {
          this.inc({ health: n.health === MemberHealth.MEMBER_HEALTH_UNSPECIFIED ? 'unknown' : healthName(n.health), managed: String(n.managed) });
        }
      },
    });
    new Gauge({
      name: 'shoal_control_plane_workers',
      help: 'Workers as this instance counts them: running (passing and streaming) and desired (what the reconciler heads for).',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.reset();
        const c = ctx();
        if (!c) return;
        this.set({ state: 'running' }, c.scaling.runningWorkers().length);
        this.set({ state: 'desired' }, c.reconciler.workerCount);
      },
    });
    new Gauge({
      name: 'shoal_control_plane_node_restarts',
      help: 'Restarts this instance made of each node since it began managing it.',
      labelNames: ['node'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const n of ctx()?.reconciler.topology() ?? []) this.set({ node: n.id }, n.restarts);
      },
    });
  }

  count(event: ClusterEvent): void {
    (event.decision ? this.decisions : this.observations).inc({ kind: kindName(event.kind) });
  }
}
