import { Server } from '@grpc/grpc-js';
import { authorizeCalls } from '../common/grpc/authorizeCalls';
import { HealthImplementation } from 'grpc-health-check';
import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ClusterEventKind, ScaleService } from '../gen/shoal/v1/scale';
import { type ConsulApi, ConsulRefused } from '../common/consul/ConsulApi';
import { checkConsulAccess } from '../common/consul/checkConsulAccess';
import { agentConsul, clusterConsul } from '../common/consul/clusterConsul';
import { EventsClient } from '../common/client/EventsClient';
import { type ControlPlaneLeader, controlPlaneServiceName } from '../common/cluster/controlPlaneLeader';
import { publishTopology, topologyKey, topologyOf } from '../common/cluster/declaredTopology';
import { SHOAL_VERSION } from '../common/cluster/version';
import { addReflection } from '../common/grpc/addReflection';
import { CallTracker } from '../common/grpc/CallTracker';
import { shutdownWithin } from '../common/grpc/shutdownWithin';
import { RunDir } from '../common/local/RunDir';
import { Backoff } from '../common/net/Backoff';
import { bindUpward } from '../common/net/bindUpward';
import { REPO_ROOT } from '../common/paths';
import type { ControlPlaneFlags } from './controlPlaneFlags';
import { DecisionLog } from './events/DecisionLog';
import { EventJournal } from './events/EventJournal';
import { createControlPlaneEndpoints } from './http/controlPlaneEndpoints';
import { ControlPlaneMetrics } from './http/controlPlaneMetrics';
import { LeaderLock } from './leadership/LeaderLock';
import { ClusterObserver } from './observe/ClusterObserver';
import { HttpProbe } from './observe/HttpProbe';
import { LabPlacement } from './placement/LabPlacement';
import { LocalPlacement } from './placement/LocalPlacement';
import type { Placement } from './placement/Placement';
import { primaryChangesOverConsul } from './reconcile/primaryChangesOverConsul';
import { Reconciler } from './reconcile/Reconciler';
import type { ScaleContext } from './scale/ScaleContext';
import { scaleServer } from './scale/server';
import { ScalingController } from './scaling/ScalingController';
import { SERVER_LIMITS } from '../common/grpc/transportLimits';

export interface ControlPlaneOptions extends ControlPlaneFlags {
  logger: Logger;
}

/**
 * One control-plane instance: the Scale gRPC server (with grpc.health.v1, which Consul checks
 * and the leader lock's session is tied to), the HTTP endpoints, its Consul registration, the
 * observer, the leader lock and the reconcile loop. Every instance observes; only the lock
 * holder's reconcile loop acts.
 */
export class ControlPlane {
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING', 'shoal.v1.Scale': 'NOT_SERVING' });
  private readonly calls = new CallTracker(() => undefined);
  private readonly grpc: Server;
  private readonly metrics: ControlPlaneMetrics;
  private readonly http: HttpServer;
  private readonly consul: ConsulApi;
  /** This host's agent alone: what belongs to it (this instance's registration and check, the lock's session). */
  private readonly agent: ConsulApi;
  private readonly events: EventsClient;
  private readonly stopping = new AbortController();
  private ctx: ScaleContext | undefined;
  private lock: LeaderLock | undefined;
  private probe: HttpProbe | undefined;
  private labPlacement: LabPlacement | undefined;
  private registering: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly opts: ControlPlaneOptions) {
    opts.transport.logTo(opts.logger);
    const authorize = authorizeCalls({ cluster: opts.config.name, logger: opts.logger, bearerForScale: opts.config.controlPlane.token !== '' });
    this.grpc = new Server({ ...SERVER_LIMITS, interceptors: [this.calls.interceptor, authorize] });
    // A decision waits on these requests: a second per address at most, then the next agent.
    this.consul = clusterConsul(opts.config.consul);
    this.agent = agentConsul(opts.config.consul);
    this.events = new EventsClient({ consul: this.consul, cluster: opts.config.name, credentials: opts.transport.channel() });
    this.metrics = new ControlPlaneMetrics(() => this.ctx);
    this.http = createControlPlaneEndpoints(() => this.ctx, this.metrics);
  }

  /** The address its Scale service listens on, once started. */
  grpcAddress = '';

  async start(): Promise<void> {
    const { opts } = this;
    const { config, logger, id } = opts;
    await checkConsulAccess(this.consul, config.consul, config.name);
    const grpcPort = await bindUpward(
      'gRPC',
      opts.host,
      opts.grpcPort,
      (port) =>
        new Promise<number>((resolve, reject) =>
          this.grpc.bindAsync(`${opts.host}:${port}`, opts.transport.server(), (err, bound) => (err ? reject(err) : resolve(bound))),
        ),
    );
    const httpPort = await bindUpward('HTTP', opts.host, opts.httpPort, async (port) => {
      this.http.listen(port, opts.host);
      await Promise.race([once(this.http, 'listening'), once(this.http, 'error').then(([err]) => Promise.reject(err as Error))]);
      const address = this.http.address();
      return typeof address === 'object' && address ? address.port : port;
    });
    if (this.stopped) return;
    this.grpcAddress = `${opts.host}:${grpcPort}`;
    const self = { id, grpcAddress: this.grpcAddress, httpAddress: `${opts.host}:${httpPort}` };

    const decisionLog = new DecisionLog(this.consul, config.name, config.controlPlane.decisionLogSize, logger);
    const journal = new EventJournal(id, logger, decisionLog);
    journal.subscribe((e) => this.metrics.count(e));
    const runDir = new RunDir(opts.runDir);
    // The reconciler is made below; a wake before it starts (the placement's first list) has nothing to do.
    const wake = () => void this.ctx?.reconciler.wake();
    const placement = await this.placement(runDir, wake);
    if (this.stopped) return;
    const observer = new ClusterObserver({
      consul: this.consul,
      cluster: config.name,
      credentials: opts.transport.channel(),
      samplePeriodMs: config.health.samplePeriod,
      failoverAfterMs: config.controlPlane.failoverAfter,
      logger,
      wake,
      observe: (kind, nodeId, reason) => journal.observe(kind, nodeId, reason),
      onBlind: () => lock.recheck(),
      addressOf: (nodeId) => {
        const known = placement.knowledge(nodeId);
        return known.state === 'stopped' ? undefined : known.record?.grpcAddress;
      },
    });
    const { endpoints, interval: intervalMs, timeout: timeoutMs } = config.health;
    this.probe = new HttpProbe({ targets: () => observer.members.values(), endpoints, intervalMs, timeoutMs, logger, registry: this.metrics.registry });
    const lock = new LeaderLock({
      consul: this.consul,
      agent: this.agent,
      cluster: config.name,
      self,
      // serfHealth: the agent; service:<id>: this instance's own GRPC check.
      checks: ['serfHealth', `service:${id}`],
      logger,
      onChange: (leading, holder) => this.leadershipChanged(leading, holder),
    });
    this.lock = lock;
    const reconciler = new Reconciler({
      config,
      registry: this.consul,
      primaries: primaryChangesOverConsul(this.consul, config, opts.transport.channel()),
      observer,
      placement,
      journal,
      isLeader: () => lock.isLeader,
      leaderId: () => lock.holder?.id,
      releaseLeases: (workerId, reason) => this.events.releaseWorker(workerId, reason, 2000),
      logger,
    });
    const scaling = new ScalingController({
      config,
      policyStore: this.consul,
      events: this.events,
      observer,
      workers: reconciler,
      journal,
      isLeader: () => lock.isLeader,
      logger,
    });
    this.ctx = {
      id,
      cluster: config.name,
      logger,
      token: config.controlPlane.token,
      isLeader: () => lock.isLeader,
      leader: () => lock.holder,
      observer,
      reconciler,
      scaling,
      journal,
      decisionLog,
    };

    this.grpc.addService(ScaleService, scaleServer(this.ctx));
    this.health.addToServer(this.grpc);
    addReflection(this.grpc, join(REPO_ROOT, 'gen', 'descriptors.binpb'), ['shoal.v1.Scale', 'grpc.health.v1.Health']);
    this.health.setStatus('', 'SERVING');
    this.health.setStatus('shoal.v1.Scale', 'SERVING');
    logger.info(
      {
        grpc: self.grpcAddress,
        http: self.httpAddress,
        consul: this.consul.addresses.join(','),
        placement: config.placement.kind,
        runDir: runDir.path,
        token: config.controlPlane.token ? 'required' : 'none',
      },
      'control plane serving',
    );

    observer.start();
    // Its events client lives as long as the process: it follows the leader record, so lease
    // releases and backlog reads go to a new primary as soon as one is named.
    this.events.followLeader();
    this.probe.start();
    reconciler.start();
    scaling.start();
    this.registering = this.registerWithRetry(self.grpcAddress, httpPort);
    lock.start();
  }

  /**
   * The placement the config names: child processes on this machine, or lab hosts through their
   * agents (the first list of every agent read before the reconciler starts, so nothing is
   * started on a host whose processes are not known yet).
   */
  private async placement(runDir: RunDir, wake: () => void): Promise<Placement> {
    const { config, logger, host, insecure, configPath } = this.opts;
    if (config.placement.kind === 'lab') {
      this.labPlacement = new LabPlacement({ agents: config.placement.agents, logger, onChange: wake });
      await this.labPlacement.follow();
      return this.labPlacement;
    }
    return new LocalPlacement({ runDir, consulAddress: config.consul.address, cluster: config.name, configPath, host, insecure });
  }

  /**
   * Graceful stop: stop acting, then release the lock (a standby takes over at once), stop
   * observing, leave Consul, drain the server. The nodes keep running.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    const { logger } = this.opts;
    this.stopping.abort();
    // Stop acting (and let the step under way finish) before releasing the lock: a standby
    // that takes over must not overlap with a half-done step of ours.
    this.ctx?.scaling.stop();
    await this.ctx?.reconciler.stop();
    await this.lock?.stop();
    await this.ctx?.observer.stop();
    await this.probe?.stop();
    await this.labPlacement?.close();
    await this.ctx?.decisionLog.flushed();
    await this.registering;
    await this.agent.deregisterService(this.opts.id, 2000).catch((err: Error) => logger.warn({ err: err.message }, 'could not deregister from Consul'));
    this.health.setStatus('', 'NOT_SERVING');
    this.calls.endStreams('the control plane is shutting down');
    await shutdownWithin(this.grpc, 5000, () => logger.warn('drain deadline passed; cancelling open calls'));
    this.http.closeAllConnections();
    this.http.close();
    this.events.close();
    logger.info('stopped; the nodes keep running');
  }

  private leadershipChanged(leading: boolean, holder: ControlPlaneLeader | undefined): void {
    const ctx = this.ctx;
    if (!ctx) return;
    if (leading) {
      void this.publishTopology();
      void ctx.journal
        .decide(ClusterEventKind.CLUSTER_EVENT_KIND_LEADER_CHANGED, '', `${this.opts.id} holds the control-plane lock and acts`, () =>
          Promise.resolve({ leader: this.opts.id }),
        )
        .then(() => ctx.reconciler.wake());
    } else {
      ctx.journal.observe(
        ClusterEventKind.CLUSTER_EVENT_KIND_LEADER_CHANGED,
        '',
        holder ? `${holder.id} leads; ${this.opts.id} stands by` : `nobody holds the control-plane lock; ${this.opts.id} stands by`,
      );
    }
  }

  /**
   * Publishes the declared state nodes and minAcks to Consul KV while this instance leads, so
   * that every role change, from any machine, counts its quorum against them (retried while
   * Consul is away). The config is fixed for the process's life: taking the lead is when it changes.
   */
  private async publishTopology(): Promise<void> {
    const { config, id, logger } = this.opts;
    const backoff = new Backoff({ initialMs: 200, maxMs: 5000 });
    while (!this.stopping.signal.aborted && this.lock?.isLeader) {
      try {
        const topology = topologyOf(config, id);
        await publishTopology(this.consul, topology);
        logger.info({ key: topologyKey(config.name), replicas: topology.replicaIds, minAcks: topology.minAcks }, 'published the declared topology');
        return;
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'cannot publish the declared topology to Consul; retrying');
        await backoff.wait(this.stopping.signal);
      }
    }
  }

  /** Registers this instance (with the GRPC check its lock session is tied to), retrying while Consul is away. */
  private async registerWithRetry(grpcAddress: string, httpPort: number): Promise<void> {
    const { config, id, host, logger } = this.opts;
    const backoff = new Backoff({ initialMs: 200, maxMs: 5000 });
    const port = Number(grpcAddress.split(':').pop());
    while (!this.stopping.signal.aborted) {
      try {
        await this.agent.registerService({
          id,
          name: controlPlaneServiceName(config.name),
          address: host,
          port,
          tags: ['control-plane'],
          meta: { version: SHOAL_VERSION, grpc_port: String(port), http_port: String(httpPort), cluster: config.name },
          check: {
            name: `gRPC health of ${id}`,
            grpc: grpcAddress,
            tls: this.opts.transport.enabled,
            interval: `${config.health.checkInterval}ms`,
            timeout: `${config.health.checkInterval}ms`,
            deregisterCriticalServiceAfter: `${config.health.deregisterCriticalAfter}ms`,
            // It registers once it serves; its lock session needs the check passing.
            initialStatus: 'passing',
          },
        });
        logger.info({ service: controlPlaneServiceName(config.name) }, 'registered in Consul');
        return;
      } catch (err) {
        if (err instanceof ConsulRefused) logger.error({ err: err.message }, 'Consul refuses the registration; retrying');
        else logger.warn({ err: (err as Error).message }, 'cannot register in Consul; retrying');
        await backoff.wait(this.stopping.signal);
      }
    }
  }
}
