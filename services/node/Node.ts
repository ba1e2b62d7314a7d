import { randomUUID } from 'node:crypto';
import { Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { service as standardHealthService } from 'grpc-health-check';
import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DiscoveryService } from '../../gen/shoal/v1/discovery';
import { HealthService } from '../../gen/shoal/v1/health';
import { StateService } from '../../gen/shoal/v1/state';
import { SyncService } from '../../gen/shoal/v1/sync';
import { EventsService } from '../../gen/shoal/v1/events';
import { EventsClient } from '../../common/client/EventsClient';
import { StateClient } from '../../common/client/StateClient';
import { EventQueue } from './events/EventQueue';
import { eventsServer } from './events/server';
import { EventWorker } from './worker/EventWorker';
import { type ConsulApi, serviceNameOf } from '../../common/consul/ConsulApi';
import { checkConsulAccess } from '../../common/consul/checkConsulAccess';
import { agentConsul, clusterConsul } from '../../common/consul/clusterConsul';
import type { RoleName } from '../../common/config/clusterConfig';
import { nodeIdsOf } from '../../common/config/nodeIds';
import { SHOAL_VERSION } from '../../common/cluster/version';
import { REPO_ROOT } from '../../common/paths';
import { addReflection } from '../../common/grpc/addReflection';
import { grpcServiceName } from '../../common/grpc/grpcServiceName';
import { CallTracker } from '../../common/grpc/CallTracker';
import { bindUpward } from '../../common/net/bindUpward';
import { shutdownWithin } from '../../common/grpc/shutdownWithin';
import { MemberChangeKind } from '../../gen/shoal/v1/discovery';
import { ConsulRegistration, type DuplicateNodeError } from './ConsulRegistration';
import { Lifecycle } from './Lifecycle';
import type { NodeContext } from './NodeContext';
import type { NodeIdentity } from './NodeIdentity';
import { discoveryServer } from './discovery/server';
import { healthServer } from './health/server';
import { createHttpEndpoints } from './http/httpEndpoints';
import { NodeMetrics } from './http/nodeMetrics';
import { MembershipView } from './membership/MembershipView';
import { Replication } from './replication/Replication';
import { stateServer } from './state/server';
import { StateStore } from './store/StateStore';
import { syncServer } from './sync/server';
import type { NodeFlags } from './nodeFlags';
import { SERVER_LIMITS } from '../../common/grpc/transportLimits';
import { authorizeCalls } from '../../common/grpc/authorizeCalls';
import { markingUndecodable, refuseUndecodable } from '../../common/grpc/undecodableRequests';
import { capStatusDetails } from '../../common/grpc/capStatusDetails';

/** The parsed flags (see nodeFlags.ts), plus what the process gives the node. */
export interface NodeOptions extends NodeFlags {
  logger: Logger;
  /** Called when the node must stop on its own (another live node holds its id). */
  onFatal: (err: Error) => void;
}

/**
 * One shoal node: the gRPC server (shoal.v1 Discovery, Health, State, Sync and Events, the
 * standard grpc.health.v1 Health, and reflection listing them), the HTTP listener, its Consul
 * registration, its membership view, and on the primary and replicas the replicated state and
 * the events queue (a worker runs an EventWorker instead).
 * Lifecycle: start() once, then stop() once; stop() drains.
 */
export class Node {
  readonly lifecycle = new Lifecycle();
  private readonly metrics: NodeMetrics;
  private readonly calls: CallTracker;
  private readonly grpc: Server;
  private readonly http: HttpServer;
  /** Reads and writes of the cluster's records: this host's agent first, then consul.fallbackAddresses. */
  private readonly consul: ConsulApi;
  /**
   * This host's agent only, for the node's own registration: a service belongs to the agent it
   * was registered with (its check runs there), so registering through another agent would
   * list the node twice, on two Consul nodes.
   */
  private readonly agent: ConsulApi;
  private readonly membership: MembershipView;
  private registration: ConsulRegistration | undefined;
  private replication: Replication | undefined;
  private queue: EventQueue | undefined;
  private worker: EventWorker | undefined;
  private ctx: NodeContext | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly opts: NodeOptions) {
    opts.transport.logTo(opts.logger);
    this.metrics = new NodeMetrics(() => this.context);
    this.calls = new CallTracker((method, code, ms) => this.metrics.callFinished(method, code, ms));
    // Outermost the call count, so refused calls are counted with their code too.
    this.grpc = new Server({
      ...SERVER_LIMITS,
      interceptors: [this.calls.interceptor, authorizeCalls({ cluster: opts.config.name, logger: opts.logger }), refuseUndecodable, capStatusDetails],
    });
    this.http = createHttpEndpoints(() => this.context, this.metrics);
    // Promote, the primary lease and the leader watch wait on these.
    this.consul = clusterConsul(opts.config.consul);
    this.agent = agentConsul(opts.config.consul);
    this.membership = new MembershipView(this.consul, serviceNameOf(opts.config.name), opts.logger);
  }

  private get context(): NodeContext {
    if (!this.ctx) throw new Error('node not started');
    return this.ctx;
  }

  /** The role the node plays now. */
  get role(): RoleName {
    return this.ctx?.identity.role ?? this.opts.role;
  }

  async start(): Promise<void> {
    const { opts } = this;
    await checkConsulAccess(this.consul, opts.config.consul, opts.config.name);
    const grpcPort = await this.bindGrpc();
    const httpPort = await this.bindHttp();
    // A SIGTERM that arrived while binding has already drained the node: serve nothing.
    if (this.stopped) return;
    const identity: NodeIdentity = {
      id: opts.id,
      cluster: opts.config.name,
      version: SHOAL_VERSION,
      startedAtMs: Date.now(),
      incarnation: randomUUID().slice(0, 8),
      grpcAddress: `${opts.advertiseHost}:${grpcPort}`,
      httpAddress: `${opts.advertiseHost}:${httpPort}`,
      role: opts.role,
    };
    const registration = new ConsulRegistration(this.agent, opts.config, identity, opts.logger, (r) => (this.lifecycle.registered = r), opts.transport);
    this.registration = registration;
    this.replication = opts.role === 'worker' ? undefined : this.openState(identity, registration);
    this.ctx = {
      identity,
      lifecycle: this.lifecycle,
      membership: this.membership,
      calls: this.calls,
      logger: opts.logger,
      samplePeriodMs: opts.config.health.samplePeriod,
      replication: this.replication,
      consul: this.consul,
      sync: opts.config.sync,
    };
    const ctx = this.ctx;
    // Every node answers Events; only the primary serves it (the others redirect, as for State).
    const queue = new EventQueue(ctx, opts.config.events);
    this.queue = queue;
    const events = { queue, config: opts.config.events, sync: ctx.sync, logger: ctx.logger, lifecycle: ctx.lifecycle };
    // The services this server answers; reflection lists exactly these.
    const services: [ServiceDefinition, UntypedServiceImplementation][] = [
      [DiscoveryService, discoveryServer(ctx)],
      [HealthService, healthServer(ctx)],
      [StateService, stateServer(ctx)],
      [SyncService, syncServer(ctx, (keys) => queue.adopt(keys))],
      [EventsService, eventsServer(events)],
    ];
    // A request that does not decode is answered INVALID_ARGUMENT, not grpc-js's INTERNAL (refuseUndecodable).
    const grpc = markingUndecodable(this.grpc);
    for (const [definition, implementation] of services) grpc.addService(definition, implementation);
    this.metrics.trackEvents(
      () => (this.replication?.role === 'primary' && this.replication.writer ? this.queue?.backlog() : undefined),
      () => this.worker,
    );
    this.lifecycle.standardHealth.addToServer(grpc);
    const served = [...services.map(([definition]) => definition), standardHealthService].map((definition) => grpcServiceName(definition));
    addReflection(this.grpc, join(REPO_ROOT, 'gen', 'descriptors.binpb'), served);
    this.lifecycle.serving();
    opts.logger.info(
      { grpc: identity.grpcAddress, http: identity.httpAddress, consul: opts.config.consul.address, tls: opts.transport.files?.certFile ?? 'off' },
      'node serving',
    );

    const onDuplicate = (err: DuplicateNodeError) => opts.onFatal(err);
    registration.ensureRegistered(onDuplicate);
    // A Consul agent that restarts without its data directory forgets us: register again.
    this.membership.subscribe(({ change }) => {
      if (change.kind === MemberChangeKind.MEMBER_CHANGE_KIND_LEFT && change.member?.id === identity.id && this.lifecycle.ready) {
        opts.logger.warn('our registration disappeared from Consul; registering again');
        registration.lost(onDuplicate);
      }
    });
    this.membership.start();
    this.replication?.start();
    if (opts.role === 'worker') {
      this.worker = new EventWorker({
        workerId: identity.id,
        events: new EventsClient({ consul: this.consul, cluster: identity.cluster, credentials: opts.transport.channel() }),
        state: new StateClient({ consul: this.consul, cluster: identity.cluster, credentials: opts.transport.channel() }),
        config: opts.config.events,
        handlers: opts.handlers,
        logger: opts.logger,
      });
      this.worker.start();
    }
  }

  /** Opens the state store and the replication that keeps it (primary and replicas only). */
  private openState(identity: NodeIdentity, registration: ConsulRegistration): Replication {
    const { opts } = this;
    const path = join(opts.dataDir, 'state.db');
    const store = new StateStore(path, opts.config.sync.fsync);
    opts.logger.info({ path, position: store.lastPosition, term: store.term, fsync: opts.config.sync.fsync }, 'opened the state store');
    return new Replication({
      store,
      nodeId: identity.id,
      incarnation: identity.incarnation,
      cluster: identity.cluster,
      consul: this.consul,
      credentials: opts.transport.channel(),
      sync: opts.config.sync,
      address: () => identity.grpcAddress,
      initialRole: opts.role === 'primary' ? 'primary' : 'replica',
      declaredReplicas: opts.config.nodes
        .filter((t) => t.type !== 'worker')
        .flatMap(nodeIdsOf)
        .filter((id) => id !== identity.id).length,
      logger: opts.logger,
      events: {
        roleChanged: (role) => {
          if (identity.role === role) return;
          identity.role = role;
          // The role tag in Consul follows the role.
          registration.refresh();
        },
        replicationLag: (replicaId, ms) => this.metrics.replicationLag(replicaId, ms),
        repaired: (keys) => this.metrics.repaired(keys.length),
        conflictResolved: () => this.metrics.conflictResolved(),
      },
    });
  }

  /**
   * Graceful stop: NOT_SERVING (Consul's check turns critical, health watchers are told), every
   * open stream ends with UNAVAILABLE, in-flight unary calls get up to `drainTimeoutMs` to
   * finish before they are cancelled, then the node leaves Consul. Safe to call twice.
   */
  stop(drainTimeoutMs = this.opts.config.health.drainTimeout): Promise<void> {
    this.stopped ??= this.drainAndStop(drainTimeoutMs);
    return this.stopped;
  }

  private async drainAndStop(drainTimeoutMs: number): Promise<void> {
    const log = this.opts.logger;
    log.info({ drainTimeoutMs, inFlight: this.calls.inFlight }, 'draining');
    this.lifecycle.drain();
    // A worker stops leasing and finishes (or hands back) its events while still registered.
    await this.worker?.stop(drainTimeoutMs);
    this.queue?.close();
    this.calls.endStreams('node is shutting down');
    await shutdownWithin(this.grpc, drainTimeoutMs, () =>
      log.warn({ inFlight: this.calls.inFlight }, 'drain deadline passed; cancelling the calls still open'),
    );
    this.http.closeAllConnections();
    this.http.close();
    await this.membership.stop();
    await this.replication?.stop();
    this.replication?.store.close();
    await this.registration?.deregister();
    log.info('stopped');
  }

  private async bindGrpc(): Promise<number> {
    return bindUpward(
      'gRPC',
      this.opts.host,
      this.opts.grpcPort,
      (port) =>
        new Promise<number>((resolve, reject) =>
          this.grpc.bindAsync(`${this.opts.host}:${port}`, this.opts.transport.server(), (err, bound) => (err ? reject(err) : resolve(bound))),
        ),
    );
  }

  private async bindHttp(): Promise<number> {
    return bindUpward('HTTP', this.opts.host, this.opts.httpPort, async (port) => {
      this.http.listen(port, this.opts.host);
      await Promise.race([once(this.http, 'listening'), once(this.http, 'error').then(([err]) => Promise.reject(err as Error))]);
      const address = this.http.address();
      return typeof address === 'object' && address ? address.port : port;
    });
  }
}
