import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ChannelCredentials, credentials, Metadata } from '@grpc/grpc-js';
import {
  ClusterEvent,
  type ClusterEventKind,
  type GetTopologyResponse,
  ScaleClient,
  type TopologyNode,
  type WatchEventsResponse,
} from '../../gen/shoal/v1/scale';
import { unaryCall } from '../../common/client/grpcCall';
import { type ControlPlaneLeader, controlPlaneServiceName, readControlPlaneLeader } from '../../common/cluster/controlPlaneLeader';
import { type LeaderRecord, readLeader } from '../../common/cluster/leaderRecord';
import { aclPolicyRules } from '../../common/consul/aclPolicy';
import { createPolicyToken } from '../../lab/consul/labConsulSecurity';
import { serviceNameOf } from '../../common/consul/ConsulApi';
import { isRunning } from '../../common/local/processRecord';
import { RunDir, type StartedNode } from '../../common/local/RunDir';
import { signalGroup } from '../../common/local/stopProcess';
import { waitFor } from '../../common/time/waitFor';
import { decisionLogKey } from '../../control-plane/events/DecisionLog';
import { keepOutOfLogs } from './secretScan';
import { writeEphemeralClusterConfig } from './ephemeralClusterConfig';
import { trackChild, trackRunDir } from './processRegistry';
import { outputDir, startTestConsul, type TestConsul } from './testConsul';
import { testTls } from './testTls';

const REPO = join(__dirname, '..', '..');

export interface ControlPlaneClusterOptions {
  cluster: string;
  /** Control-plane instances. @default 2 */
  controlPlanes?: number;
  /** Extra `controlPlane` config fields (ports are always 0). */
  controlPlane?: Record<string, unknown>;
  /** Extra environment of the control planes (and so of the nodes they start). */
  env?: NodeJS.ProcessEnv;
  /** The config's `events` section. */
  events?: Record<string, unknown>;
  /** The config's `scaling` section. */
  scaling?: Record<string, unknown>;
  /** Replicas declared. @default 2 */
  replicas?: number;
  /** Workers declared. @default 2 */
  workers?: number;
  /** Mutual TLS on every hop (testTls's certificates); the test's clients use the operator's. */
  tls?: boolean;
  /**
   * Consul's ACLs on (default deny): every process gets a token holding only `shoal
   * consul-policy`'s rules, from consul.tokenFile; the test's own Consul reads use the master token.
   */
  consulAcl?: boolean;
}

/**
 * A cluster as `make up` runs it, on free ports: a private Consul agent, control-plane
 * processes (bin/shoal-control-plane.js, logs under test-output/logs/<cluster>/) and the nodes
 * their local placement starts (the seed's five unless said otherwise; records and logs under
 * test-output/control-plane/<cluster>/run).
 */
export class ControlPlaneCluster {
  readonly planes = new Map<string, ChildProcess>();

  private constructor(
    readonly cluster: string,
    readonly consul: TestConsul,
    readonly runDir: RunDir,
    readonly configPath: string,
    private readonly env: NodeJS.ProcessEnv,
    /** Nodes declared. */
    readonly declared: number,
    /** The test's credentials toward the nodes and control planes: the operator's with TLS, else plaintext. */
    readonly credentials: ChannelCredentials,
  ) {}

  static async start(opts: ControlPlaneClusterOptions): Promise<ControlPlaneCluster> {
    const tls = opts.tls ? testTls(opts.cluster) : undefined;
    const aclMasterToken = opts.consulAcl ? randomUUID() : undefined;
    const consul = await startTestConsul({ checkTls: tls?.consulAgent, aclMasterToken });
    const dir = outputDir('control-plane', opts.cluster);
    if (aclMasterToken) {
      keepOutOfLogs(aclMasterToken);
      const token = await createPolicyToken(consul.address, aclMasterToken, `shoal-${opts.cluster}`, aclPolicyRules(opts.cluster));
      writeFileSync(join(dir, 'consul.token'), `${token}\n`, { mode: 0o600 });
    }
    const runDir = new RunDir(join(dir, 'run'));
    runDir.clear();
    trackRunDir(runDir.path);
    const configPath = join(dir, 'cluster.json');
    writeEphemeralClusterConfig(configPath, opts.cluster, {
      replicas: opts.replicas,
      workers: opts.workers,
      sections: {
        controlPlane: opts.controlPlane,
        ...(opts.events ? { events: opts.events } : {}),
        ...(opts.scaling ? { scaling: opts.scaling } : {}),
        ...(tls && { tls: tls.section }),
        // Relative to the config file, as an operator's would be.
        ...(aclMasterToken && { consul: { tokenFile: 'consul.token' } }),
      },
    });
    const declared = 1 + (opts.replicas ?? 2) + (opts.workers ?? 2);
    const channel = tls ? tls.channel('operator') : credentials.createInsecure();
    const c = new ControlPlaneCluster(opts.cluster, consul, runDir, configPath, opts.env ?? {}, declared, channel);
    for (let i = 1; i <= (opts.controlPlanes ?? 2); i++) c.startControlPlane(`control-plane-${i}`);
    return c;
  }

  startControlPlane(id: string): ChildProcess {
    const child = spawn(
      process.execPath,
      [join(REPO, 'bin', 'shoal-control-plane.js'), '--id', id, '--config', this.configPath, '--run-dir', this.runDir.path],
      {
        cwd: REPO,
        env: { ...process.env, ...this.env, CONSUL_HTTP_ADDR: this.consul.address },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    trackChild(child);
    const log = createWriteStream(join(outputDir('logs', this.cluster), `${id}.log`), { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.planes.set(id, child);
    return child;
  }

  /** Waits until the declared nodes pass in Consul and a control plane leads. */
  async ready(timeoutMs = 45_000): Promise<void> {
    await this.consul.waitForPassing(serviceNameOf(this.cluster), this.declared, timeoutMs);
    await waitFor('a control-plane leader', () => this.leader(), { timeoutMs: 10_000 });
  }

  leader(): Promise<ControlPlaneLeader | undefined> {
    return readControlPlaneLeader(this.consul.api, this.cluster);
  }

  async primary(): Promise<LeaderRecord> {
    return waitFor('a leader record', async () => (await readLeader(this.consul.api, this.cluster)).record, { timeoutMs: 10_000 });
  }

  /** A Scale client on the current control-plane leader. */
  async scale(): Promise<ScaleClient> {
    const leader = await waitFor('a control-plane leader', () => this.leader(), { timeoutMs: 10_000 });
    return new ScaleClient(leader.grpcAddress, this.credentials);
  }

  /**
   * A Scale client on a passing instance that does not hold the lock, once there is one (its
   * check may still be critical just after Consul came back from a pause).
   */
  async standby(): Promise<ScaleClient> {
    const other = await waitFor(
      'a passing standby control plane',
      async () => {
        const leader = await this.leader();
        const { value } = await this.consul.api.healthService(controlPlaneServiceName(this.cluster));
        return value.find((e) => e.Service.ID !== leader?.id && e.Checks.every((c) => c.Status === 'passing'));
      },
      { timeoutMs: 15_000 },
    );
    return new ScaleClient(`${other.Service.Address}:${other.Service.Port}`, this.credentials);
  }

  async topology(client?: ScaleClient): Promise<GetTopologyResponse> {
    const c = client ?? (await this.scale());
    try {
      return await unaryCall<GetTopologyResponse>((m, o, cb) => c.getTopology({}, m, o, cb), Date.now() + 5000);
    } finally {
      if (!client) c.close();
    }
  }

  async node(id: string): Promise<TopologyNode | undefined> {
    return (await this.topology()).nodes.find((n) => n.id === id);
  }

  /** The placement's record of a node's process. */
  record(id: string): StartedNode | undefined {
    return this.runDir.readNodes().find((n) => n.id === id);
  }

  /** SIGKILLs a node's process group, as a crash would; returns the pid killed. */
  killNode(id: string): number {
    const record = this.record(id);
    if (!record || !isRunning(record)) throw new Error(`${id} is not running`);
    signalGroup(record.pid, 'SIGKILL');
    return record.pid;
  }

  /** The decision log in Consul, oldest first. */
  async decisions(): Promise<ClusterEvent[]> {
    const { value } = await this.consul.api.kvGet(decisionLogKey(this.cluster));
    return value ? (JSON.parse(value.value) as unknown[]).map((e) => ClusterEvent.fromJSON(e)) : [];
  }

  /** Waits for a decision of `kind` about `nodeId` made at or after `since`. */
  async decision(kind: ClusterEventKind, nodeId: string, since: number, timeoutMs = 15_000): Promise<ClusterEvent> {
    return waitFor(
      `a ${kind} decision about ${nodeId || 'the cluster'}`,
      async () => (await this.decisions()).find((e) => e.kind === kind && e.nodeId === nodeId && e.atUnixMs >= since),
      {
        timeoutMs,
        describe: async () => JSON.stringify((await this.decisions()).slice(-5).map((e) => [e.kind, e.nodeId, e.reason])),
      },
    );
  }

  /** Follows the leader's WatchEvents; every event received lands in `events`. */
  async watchEvents(): Promise<{ events: ClusterEvent[]; close(): void }> {
    const client = await this.scale();
    const events: ClusterEvent[] = [];
    const call = client.watchEvents({ history: 1 });
    call.on('data', (r: WatchEventsResponse) => r.event && !r.replayed && events.push(r.event));
    call.on('error', () => undefined);
    return {
      events,
      close: () => {
        call.cancel();
        client.close();
      },
    };
  }

  /** Metadata carrying `token` as a bearer token. */
  static bearer(token: string): Metadata {
    const m = new Metadata();
    m.set('authorization', `Bearer ${token}`);
    return m;
  }

  /** Stops the control planes (they release the lock), then every node they started, then Consul. */
  async stop(): Promise<void> {
    for (const child of this.planes.values()) child.kill('SIGTERM');
    await Promise.all(
      [...this.planes.values()].map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)))),
    );
    for (const n of this.runDir.readNodes()) if (isRunning(n)) signalGroup(n.pid, 'SIGKILL');
    await waitFor('the nodes to exit', () => this.runDir.readNodes().every((n) => !isRunning(n)), { timeoutMs: 5000 });
    await this.consul.stop();
  }
}
