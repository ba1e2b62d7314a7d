import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ChannelCredentials, credentials } from '@grpc/grpc-js';
import { StateClient as StateGrpcClient } from '../../gen/shoal/v1/state';
import { type GetPositionResponse, SyncClient } from '../../gen/shoal/v1/sync';
import { StateClient } from '../../common/client/StateClient';
import { unaryCall } from '../../common/client/grpcCall';
import { waitFor } from '../../common/time/waitFor';
import { ClusterOfNodes } from './clusterOfNodes';
import { writeEphemeralClusterConfig } from './ephemeralClusterConfig';
import { outputDir, startTestConsul, type TestConsul } from './testConsul';
import { testTls } from './testTls';

export interface StateClusterOptions {
  cluster: string;
  replicas?: number;
  workers?: number;
  /** Overrides of the config's sync section (minAcks, retainEntries, interval, …). */
  sync?: Record<string, unknown>;
  /** Overrides of the config's events section (dedupeWindow, …). */
  events?: Record<string, unknown>;
  /** Mutual TLS on every hop (testTls's certificates); the test's clients use the operator's. */
  tls?: boolean;
}

/**
 * A private Consul agent and real node processes holding the replicated state: a primary,
 * replicas (2 unless said), workers (0 unless said). `stop()` in `after`.
 */
export class StateCluster {
  readonly nodes: ClusterOfNodes;
  private readonly grpc = new Map<string, { state: StateGrpcClient; sync: SyncClient; address: string }>();

  private constructor(
    readonly consul: TestConsul,
    readonly name: string,
    readonly configPath: string,
    /** The test's credentials toward the nodes: the operator's with TLS, else plaintext. */
    readonly credentials: ChannelCredentials,
  ) {
    this.nodes = new ClusterOfNodes(consul.address, name, configPath);
  }

  static async start(opts: StateClusterOptions): Promise<StateCluster> {
    const replicas = opts.replicas ?? 2;
    const workers = opts.workers ?? 0;
    const configPath = join(outputDir('configs'), `${opts.cluster}.json`);
    const tls = opts.tls ? testTls(opts.cluster) : undefined;
    writeEphemeralClusterConfig(configPath, opts.cluster, {
      replicas,
      workers,
      sections: { sync: { heartbeatInterval: 200, ...opts.sync }, ...(opts.events && { events: opts.events }), ...(tls && { tls: tls.section }) },
    });
    // A fresh Consul knows no leader: the nodes' data must be fresh too.
    rmSync(join(outputDir('data'), opts.cluster), { recursive: true, force: true });
    const consul = await startTestConsul({ checkTls: tls?.consulAgent });
    const cluster = new StateCluster(consul, opts.cluster, configPath, tls ? tls.channel('operator') : credentials.createInsecure());
    await cluster.nodes.start([
      { role: 'primary' },
      ...Array.from({ length: replicas }, (_, i) => ({ role: 'replica' as const, id: `replica-${i + 1}` })),
      ...Array.from({ length: workers }, (_, i) => ({ role: 'worker' as const, id: `worker-${i + 1}` })),
    ]);
    await consul.waitForPassing(`shoal-${opts.cluster}`, 1 + replicas + workers);
    await cluster.waitForReplicas('primary', replicas);
    return cluster;
  }

  /** A client that finds the primary through Consul, as applications would use. */
  client(opts: { deadlineMs?: number } = {}): StateClient {
    return new StateClient({ consul: this.consul.api, cluster: this.name, credentials: this.credentials, ...opts });
  }

  /** Raw gRPC clients of one node (re-created when the node restarted on another port). */
  node(id: string): { state: StateGrpcClient; sync: SyncClient; address: string } {
    const address = this.nodes.grpc(id);
    const cached = this.grpc.get(id);
    if (cached?.address === address) return cached;
    cached?.state.close();
    cached?.sync.close();
    const fresh = { state: new StateGrpcClient(address, this.credentials), sync: new SyncClient(address, this.credentials), address };
    this.grpc.set(id, fresh);
    return fresh;
  }

  /** A node's view of its role, term and position. */
  position(id: string, term = 0) {
    const { sync } = this.node(id);
    return unaryCall<GetPositionResponse>((m, o, cb) => sync.getPosition({ term }, m, o, cb), Date.now() + 3000);
  }

  /** Waits until `id` (a primary) has `count` replicas connected, per its metrics. */
  async waitForReplicas(id: string, count: number, timeoutMs = 20000): Promise<void> {
    await waitFor(`${id} to have ${count} replica(s) connected`, async () => (await this.metric(id, 'shoal_replication_connected_replicas')) === count, {
      timeoutMs,
    });
  }

  /** One unlabelled gauge or counter from a node's /metrics. */
  async metric(id: string, name: string): Promise<number> {
    const text = await (await fetch(`http://${this.nodes.http(id)}/metrics`)).text();
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : NaN;
  }

  async stop(): Promise<void> {
    for (const c of this.grpc.values()) {
      c.state.close();
      c.sync.close();
    }
    await this.nodes.stopAll();
    await this.consul.stop();
  }
}
