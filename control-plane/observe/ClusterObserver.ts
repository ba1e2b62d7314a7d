import type { ChannelCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Member } from '../../gen/shoal/v1/discovery';
import { ClusterEventKind } from '../../gen/shoal/v1/scale';
import { type ConsulApi, serviceNameOf } from '../../common/consul/ConsulApi';
import { memberFromConsul } from '../../common/cluster/memberFromConsul';
import { type LeaderRecord, readLeader } from '../../common/cluster/leaderRecord';
import { Backoff } from '../../common/net/Backoff';
import { pause } from '../../common/time/pause';
import { NodeStream } from './NodeStream';

export interface ClusterObserverOptions {
  consul: ConsulApi;
  cluster: string;
  /** The control plane's TLS toward the nodes, or plaintext. */
  credentials: ChannelCredentials;
  /** Period asked of each node's status stream, ms. */
  samplePeriodMs: number;
  /** controlPlane.failoverAfter: a replica's sample saying it has not heard from the primary this long wakes the loop. */
  failoverAfterMs: number;
  logger: Logger;
  /** Something was observed that the reconcile loop should look at now. */
  wake: () => void;
  /** An observation worth an event (joined, left, blind, sighted, stream broke). */
  observe: (kind: ClusterEventKind, nodeId: string, reason: string) => void;
  /** Consul went out of sight: what was read from it before is not to be trusted as current. */
  onBlind: () => void;
  /**
   * Where the placement says a node listens, if it runs one: its status stream is followed
   * there, not at the address in Consul (a second process registered under its id, or a stale
   * registration, would be followed instead).
   */
  addressOf?: (id: string) => string | undefined;
}

/** How often Consul is probed to know whether the control plane can see. */
const PROBE_INTERVAL_MS = 500;
/** How long a probe may take: a Consul agent cut off must make the control plane blind within about a second. */
const PROBE_TIMEOUT_MS = 1000;

/**
 * What the control plane sees: the cluster's members as Consul lists them, the leader record,
 * and each member's status stream. It also knows when it cannot see: while Consul does not
 * answer (a probe every 500 ms, and every watch), it is blind, and stays blind until both
 * membership and the leader record have been read afresh.
 */
export class ClusterObserver {
  private readonly membersById = new Map<string, Member>();
  private readonly streams = new Map<string, NodeStream>();
  private leaderRecord: LeaderRecord | undefined;
  private blindNow = true;
  private everSighted = false;
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(private readonly opts: ClusterObserverOptions) {}

  /** True while Consul cannot be reached, or has not been read afresh since it came back. */
  get blind(): boolean {
    return this.blindNow;
  }

  get members(): ReadonlyMap<string, Member> {
    return this.membersById;
  }

  get leader(): LeaderRecord | undefined {
    return this.leaderRecord;
  }

  stream(id: string): NodeStream | undefined {
    return this.streams.get(id);
  }

  /** Follows a node's status stream at `address` (a node this control plane just started, before Consul lists it). */
  watchNode(id: string, address: string): void {
    const existing = this.streams.get(id);
    if (existing) existing.retarget(address);
    else
      this.streams.set(
        id,
        new NodeStream(
          id,
          address,
          this.opts.samplePeriodMs,
          this.opts.failoverAfterMs,
          (s, what, reason) => this.onStream(s, what, reason),
          this.opts.credentials,
        ),
      );
  }

  start(): void {
    const signal = this.stopping.signal;
    this.loops = [this.probe(signal), this.followMembers(signal), this.followLeader(signal)];
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.loops);
    for (const s of this.streams.values()) s.close();
    this.streams.clear();
  }

  private onStream(stream: NodeStream, what: 'connected' | 'broke' | 'primary-silent', reason: string): void {
    if (what === 'broke') {
      this.opts.observe(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_SUSPECTED, stream.nodeId, `status stream broke: ${reason}`);
      // A node that already left Consul (drained, say) is not dialled any further.
      if (!this.membersById.has(stream.nodeId)) {
        stream.close();
        this.streams.delete(stream.nodeId);
      }
    }
    this.opts.wake();
  }

  /** Consul answers or not, checked on its own so a blocking query that hangs cannot hide it. */
  private async probe(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const reachable = await this.opts.consul.isReachable(PROBE_TIMEOUT_MS);
      if (signal.aborted) return;
      if (!reachable && !this.blindNow) this.goBlind('Consul does not answer');
      if (reachable && this.blindNow) await this.refresh().catch(() => undefined);
      await pause(PROBE_INTERVAL_MS, signal);
    }
  }

  /** Reads membership and the leader record without blocking; clears blindness when both succeed. */
  private async refresh(): Promise<void> {
    const [{ value }, leader] = await Promise.all([
      this.opts.consul.healthService(serviceNameOf(this.opts.cluster), { timeoutMs: 2000 }),
      readLeader(this.opts.consul, this.opts.cluster),
    ]);
    this.applyMembers(value.map(memberFromConsul));
    this.leaderRecord = leader.record;
    if (this.blindNow) {
      this.blindNow = false;
      if (this.everSighted)
        this.opts.observe(ClusterEventKind.CLUSTER_EVENT_KIND_CONSUL_SIGHTED, '', 'Consul answers again; membership and the leader record are fresh');
      else this.opts.logger.info({ consul: this.opts.consul.address, members: value.length }, 'observing the cluster through Consul');
      this.everSighted = true;
    }
    this.opts.wake();
  }

  private goBlind(reason: string): void {
    this.blindNow = true;
    this.opts.onBlind();
    this.opts.observe(ClusterEventKind.CLUSTER_EVENT_KIND_CONSUL_BLIND, '', `${reason}: making no decisions until it does`);
  }

  private async followMembers(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ initialMs: 200, maxMs: 2000 });
    let index: string | undefined;
    while (!signal.aborted) {
      try {
        const { index: next, value } = await this.opts.consul.healthService(serviceNameOf(this.opts.cluster), { index, wait: '10s', signal });
        index = Number(next) < Number(index ?? 0) ? undefined : next;
        backoff.reset();
        if (!this.blindNow) {
          this.applyMembers(value.map(memberFromConsul));
          this.opts.wake();
        }
      } catch (err) {
        if (signal.aborted) return;
        if (!this.blindNow) this.goBlind(`cannot follow membership: ${(err as Error).message}`);
        index = undefined;
        await backoff.wait(signal);
      }
    }
  }

  private async followLeader(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ initialMs: 200, maxMs: 2000 });
    let index: string | undefined;
    while (!signal.aborted) {
      try {
        const read = await readLeader(this.opts.consul, this.opts.cluster, { index, wait: '10s', signal });
        index = Number(read.index) < Number(index ?? 0) ? undefined : read.index;
        backoff.reset();
        if (!this.blindNow) {
          this.leaderRecord = read.record;
          this.opts.wake();
        }
      } catch (err) {
        if (signal.aborted) return;
        if (!this.blindNow) this.goBlind(`cannot follow the leader record: ${(err as Error).message}`);
        index = undefined;
        await backoff.wait(signal);
      }
    }
  }

  private applyMembers(members: Member[]): void {
    const seen = new Set<string>();
    for (const m of members) {
      seen.add(m.id);
      if (!this.membersById.has(m.id)) this.opts.observe(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_JOINED, m.id, `registered in Consul at ${m.grpcAddress}`);
      this.membersById.set(m.id, m);
      this.watchNode(m.id, this.opts.addressOf?.(m.id) || m.grpcAddress);
    }
    for (const id of [...this.membersById.keys()]) {
      if (seen.has(id)) continue;
      this.membersById.delete(id);
      this.opts.observe(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_LEFT, id, 'its registration left Consul');
      const stream = this.streams.get(id);
      // A node that left Consul and does not stream any more is not followed further.
      if (stream && !stream.state.connected) {
        stream.close();
        this.streams.delete(id);
      }
    }
  }
}
