import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { status } from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { GetBacklogResponse } from '../../../gen/shoal/v1/events';
import { MemberHealth } from '../../../gen/shoal/v1/node';
import { healthName } from '../../../common/cluster/memberFromConsul';
import type { NodeContext } from '../NodeContext';
import type { Replication } from '../replication/Replication';

/**
 * The node's Prometheus metrics. Process and Node.js runtime metrics use prom-client's standard
 * names (process_cpu_seconds_total, nodejs_eventloop_lag_p99_seconds, …); shoal's own start
 * with shoal_ and carry their unit in the name.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  private readonly handled = new Counter({
    name: 'shoal_grpc_server_handled_total',
    help: 'gRPC calls finished by this node, by method and status code.',
    labelNames: ['grpc_method', 'grpc_code'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'shoal_grpc_server_handling_seconds',
    help: 'Time from the start of a gRPC call to its status, by method (server streams: their whole life).',
    labelNames: ['grpc_method'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    registers: [this.registry],
  });

  private readonly lag = new Histogram({
    name: 'shoal_replication_lag_seconds',
    help: 'On the primary: time from committing an entry to a replica acknowledging it, by replica.',
    labelNames: ['replica'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  private readonly repairedKeys = new Counter({
    name: 'shoal_state_repaired_keys_total',
    help: 'Keys anti-entropy replaced on this replica because they had drifted from the primary.',
    registers: [this.registry],
  });
  private readonly conflicts = new Counter({
    name: 'shoal_state_conflicts_resolved_total',
    help: 'Concurrent versions of a key this primary resolved (last-write-wins) while reconciling.',
    registers: [this.registry],
  });

  constructor(ctx: () => NodeContext) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'shoal_grpc_server_in_flight',
      help: 'gRPC calls open on this node right now (streams included).',
      registers: [this.registry],
      collect() {
        this.set(ctx().calls.inFlight);
      },
    });
    new Gauge({
      name: 'shoal_node_info',
      help: 'Always 1; the labels say who this node is.',
      labelNames: ['node_id', 'role', 'cluster', 'version'],
      registers: [this.registry],
      collect() {
        const id = ctx().identity;
        this.reset();
        this.set({ node_id: id.id, role: id.role, cluster: id.cluster, version: id.version }, 1);
      },
    });
    new Gauge({
      name: 'shoal_node_ready',
      help: '1 when the node is ready for traffic, 0 when starting or draining.',
      registers: [this.registry],
      collect() {
        this.set(ctx().lifecycle.ready ? 1 : 0);
      },
    });
    new Gauge({
      name: 'shoal_consul_reachable',
      help: '1 while this node hears from Consul, 0 while its membership view is stale.',
      registers: [this.registry],
      collect() {
        this.set(ctx().membership.snapshot().stale ? 0 : 1);
      },
    });
    replicationGauge(this.registry, ctx, 'shoal_state_position', 'Last log position this node holds (applied, on a replica).', (r) => r.store.lastPosition);
    replicationGauge(
      this.registry,
      ctx,
      'shoal_state_keys',
      'Keys this node stores: tombstones and its own keys (events in the queue) included.',
      (r) => r.store.keyCount,
    );
    replicationGauge(
      this.registry,
      ctx,
      'shoal_state_log_retained_from',
      'First log position this node still keeps; replicas behind it need a snapshot.',
      (r) => r.store.firstRetained(),
    );
    replicationGauge(this.registry, ctx, 'shoal_state_term', 'Newest replication term this node has seen.', (r) => r.term);
    new Gauge({
      name: 'shoal_replication_connected_replicas',
      help: 'On the primary: replicas with an open replication stream.',
      registers: [this.registry],
      collect() {
        this.set(ctx().replication?.acks?.connected ?? 0);
      },
    });
    new Gauge({
      name: 'shoal_cluster_members',
      help: "Members of the cluster in this node's view, by health.",
      labelNames: ['health'],
      registers: [this.registry],
      collect() {
        const members = ctx().membership.snapshot().members;
        for (const h of [MemberHealth.MEMBER_HEALTH_PASSING, MemberHealth.MEMBER_HEALTH_WARNING, MemberHealth.MEMBER_HEALTH_CRITICAL]) {
          this.set({ health: healthName(h) }, members.filter((m) => m.health === h).length);
        }
      },
    });
  }

  /**
   * The event figures the dashboard shows: the queue's on the primary (other nodes have none),
   * and what this node's worker loop processed.
   */
  trackEvents(queue: () => GetBacklogResponse | undefined, worker: () => { processed: number; failed: number } | undefined): void {
    const registers = [this.registry];
    new Gauge({
      name: 'shoal_events',
      help: 'On the primary: events by state (pending: waiting for a worker, leased: being handled, dead: dead-lettered, done).',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        const b = queue();
        if (!b) return;
        for (const state of ['pending', 'leased', 'dead', 'done'] as const) this.set({ state }, b[state]);
      },
    });
    for (const outcome of ['processed', 'failed'] as const) {
      let counted = 0;
      new Counter({
        name: `shoal_worker_events_${outcome}_total`,
        help: outcome === 'processed' ? 'Events whose handler succeeded on this worker.' : 'Handler runs that failed (threw or timed out) on this worker.',
        registers,
        collect() {
          const now = worker()?.[outcome] ?? 0;
          if (now > counted) this.inc(now - counted);
          counted = now;
        },
      });
    }
  }

  replicationLag(replicaId: string, ms: number): void {
    this.lag.observe({ replica: replicaId }, ms / 1000);
  }

  repaired(keys: number): void {
    this.repairedKeys.inc(keys);
  }

  conflictResolved(): void {
    this.conflicts.inc();
  }

  /**
   * Records a finished call (wired to CallTracker). `method` is a path this server serves:
   * grpc-js answers unknown paths with UNIMPLEMENTED before any interceptor runs, so a client
   * cannot mint label values (a test holds grpc-js to that).
   */
  callFinished(method: string, code: status, durationMs: number): void {
    this.handled.inc({ grpc_method: method, grpc_code: grpcStatus[code] ?? String(code) });
    this.duration.observe({ grpc_method: method }, durationMs / 1000);
  }
}

/** A gauge read from the node's replication state, once it has one (not while it starts). */
function replicationGauge(registry: Registry, ctx: () => NodeContext, name: string, help: string, read: (r: Replication) => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const r = ctx().replication;
      if (r) this.set(read(r));
    },
  });
}
