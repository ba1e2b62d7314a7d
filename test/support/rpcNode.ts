import { type ClientUnaryCall, credentials, Server, ServerCredentials, type ServiceError } from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DiscoveryService } from '../../gen/shoal/v1/discovery';
import { HealthService } from '../../gen/shoal/v1/health';
import { EventsClient, EventsService } from '../../gen/shoal/v1/events';
import { StateClient, StateService } from '../../gen/shoal/v1/state';
import { SyncClient, SyncService } from '../../gen/shoal/v1/sync';
import { type ClusterConfig, parseClusterConfig } from '../../common/config/clusterConfig';
import { ConsulApi } from '../../common/consul/ConsulApi';
import { CallTracker } from '../../common/grpc/CallTracker';
import { markingUndecodable, refuseUndecodable } from '../../common/grpc/undecodableRequests';
import { capStatusDetails } from '../../common/grpc/capStatusDetails';
import { discoveryServer } from '../../services/node/discovery/server';
import { healthServer } from '../../services/node/health/server';
import { EventQueue } from '../../services/node/events/EventQueue';
import { eventsServer } from '../../services/node/events/server';
import { Lifecycle } from '../../services/node/Lifecycle';
import type { NodeIdentity } from '../../services/node/NodeIdentity';
import { MembershipView } from '../../services/node/membership/MembershipView';
import { Replication } from '../../services/node/replication/Replication';
import { stateServer } from '../../services/node/state/server';
import { StateStore } from '../../services/node/store/StateStore';
import { syncServer } from '../../services/node/sync/server';

/** A node's State, Sync and Events services in this process, over a temporary store; `stop()` in afterEach. */
export interface RpcNode {
  address: string;
  store: StateStore;
  replication: Replication;
  queue: EventQueue;
  lifecycle: Lifecycle;
  /** Every line the node logged, parsed. */
  logs: Record<string, unknown>[];
  /** The calls the node logged as failing inside (answered INTERNAL): none, unless a handler has a bug. */
  internalErrors(): Record<string, unknown>[];
  state: StateClient;
  sync: SyncClient;
  events: EventsClient;
  /** With `allServices`: the server's call tracker (its in-flight count), as a Node has. */
  calls?: CallTracker;
  /** Closes the clients and the server, and removes the store's directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface RpcNodeOptions {
  /** sync.minAcks. @default 0 (a write is acknowledged once committed here) */
  minAcks?: number;
  /** Replicas the config declares, whose majority renews the primary's lease. @default 0 (the lease always holds) */
  declaredReplicas?: number;
  /** sync.primaryLease, ms. @default the config's */
  primaryLeaseMs?: number;
  /**
   * Also serve what a Node serves besides State, Sync and Events: shoal.v1 Discovery and Health
   * and the standard grpc.health.v1 Health, with the lifecycle SERVING (as Node.start leaves it).
   * The membership never reads Consul (it is not started). The server counts its calls, as a
   * Node's does (`calls`). @default false
   */
  allServices?: boolean;
}

/**
 * Starts the node's State, Sync and Events services on 127.0.0.1:0 in this process, without
 * Consul: a real StateStore in a temporary directory, the real Replication promoted to primary
 * of term 1 (a PrimaryWriter with no replica connected), the real EventQueue. The config is
 * the defaults. Nothing talks to Consul unless a test calls Promote (it reads the leader record
 * from an address where no agent listens).
 */
export async function startRpcNode(opts: RpcNodeOptions = {}): Promise<RpcNode> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-rpc-'));
  const cleanups: (() => unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const config: ClusterConfig = parseClusterConfig({ name: 'rpc-test' });
    const sync = { ...config.sync, minAcks: opts.minAcks ?? 0, primaryLease: opts.primaryLeaseMs ?? config.sync.primaryLease };
    const logs: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    const store = new StateStore(join(dir, 'state.db'), 'batch');
    cleanups.push(() => store.close());
    const consul = new ConsulApi('127.0.0.1:1');
    const identity: NodeIdentity = {
      id: 'primary',
      cluster: config.name,
      version: 'test',
      startedAtMs: Date.now(),
      incarnation: 'rpc-test',
      grpcAddress: '',
      httpAddress: '',
      role: 'primary',
    };
    const replication = new Replication({
      store,
      nodeId: identity.id,
      incarnation: identity.incarnation,
      cluster: identity.cluster,
      consul,
      credentials: credentials.createInsecure(),
      sync,
      address: () => identity.grpcAddress,
      initialRole: 'primary',
      declaredReplicas: opts.declaredReplicas ?? 0,
      logger,
      events: { roleChanged: () => undefined, replicationLag: () => undefined, repaired: () => undefined, conflictResolved: () => undefined },
    });
    cleanups.push(() => replication.stop());
    await replication.promote(1, 'an in-process RPC test');
    const lifecycle = new Lifecycle();
    const membership = new MembershipView(consul, `shoal-${config.name}`, logger);
    const deps = { identity, replication, membership, sync, logger, lifecycle, consul };
    const queue = new EventQueue(deps, config.events);
    cleanups.push(() => queue.close());
    const calls = opts.allServices ? new CallTracker() : undefined;
    // As a Node's server: undecodable requests are answered INVALID_ARGUMENT, status details capped.
    const guards = [refuseUndecodable, capStatusDetails];
    const grpc = new Server({ interceptors: calls ? [calls.interceptor, ...guards] : guards });
    const server = markingUndecodable(grpc);
    server.addService(StateService, stateServer(deps));
    server.addService(
      SyncService,
      syncServer(deps, (keys) => queue.adopt(keys)),
    );
    server.addService(EventsService, eventsServer({ queue, config: config.events, sync, logger, lifecycle }));
    if (calls) {
      const ctx = { ...deps, calls, samplePeriodMs: config.health.samplePeriod };
      server.addService(DiscoveryService, discoveryServer(ctx));
      server.addService(HealthService, healthServer(ctx));
      lifecycle.standardHealth.addToServer(server);
      lifecycle.serving();
    }
    const port = await new Promise<number>((resolve, reject) =>
      grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    cleanups.push(() => grpc.forceShutdown());
    identity.grpcAddress = `127.0.0.1:${port}`;
    const state = new StateClient(identity.grpcAddress, credentials.createInsecure());
    const syncClient = new SyncClient(identity.grpcAddress, credentials.createInsecure());
    const events = new EventsClient(identity.grpcAddress, credentials.createInsecure());
    cleanups.push(() => [state, syncClient, events].forEach((c) => c.close()));
    const internalErrors = () => logs.filter((l) => l.msg === 'handler failed');
    return { address: identity.grpcAddress, store, replication, queue, lifecycle, logs, internalErrors, state, sync: syncClient, events, calls, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Starts a unary call and hands back the call, to cancel it, and its outcome: the error it
 * ended with, or null when it succeeded.
 */
export function startCall(start: (done: (err: ServiceError | null) => void) => ClientUnaryCall): {
  call: ClientUnaryCall;
  outcome: Promise<ServiceError | null>;
} {
  let call: ClientUnaryCall | undefined;
  const outcome = new Promise<ServiceError | null>((resolve) => {
    call = start((err) => resolve(err));
  });
  return { call: call!, outcome };
}
