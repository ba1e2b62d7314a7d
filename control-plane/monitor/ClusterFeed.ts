import type { ChannelCredentials } from '@grpc/grpc-js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { GetBacklogResponse } from '../../gen/shoal/v1/events';
import type { ScaleClient, WatchClusterResponse, WatchEventsResponse } from '../../gen/shoal/v1/scale';
import { type ControlPlaneLeader, controlPlaneServiceName } from '../../common/cluster/controlPlaneLeader';
import { followControlPlaneLeader, type SessionEnd } from '../../common/cluster/followControlPlaneLeader';
import { healthName, memberFromConsul } from '../../common/cluster/memberFromConsul';
import type { ConsulApi } from '../../common/consul/ConsulApi';
import { ConflictWatcher } from './ConflictWatcher';
import { type BacklogView, type ClusterView, type ConflictView, type ControlPlaneView, clusterView, type EventView, eventView } from './dashboardView';
import { EventLog } from './EventLog';
import { MetricHistory, type MetricPoint } from './MetricHistory';

/** How the monitor stands with the control plane, as the page's header shows it. */
export interface ConnectionView {
  connected: boolean;
  leaderId: string;
  leaderAddress: string;
  /** Why it is not connected, for the operator. */
  problem: string;
}

/** What the page receives after its first snapshot, one message per change. */
export type FeedMessage =
  | { type: 'cluster'; cluster: ClusterView; point: MetricPoint }
  | { type: 'event'; event: EventView }
  | { type: 'conflicts'; conflicts: ConflictView[] }
  | { type: 'connection'; connection: ConnectionView };

/** Everything a page needs when it opens. */
export interface FeedSnapshot {
  connection: ConnectionView;
  cluster: ClusterView | undefined;
  history: MetricPoint[];
  events: EventView[];
  conflicts: ConflictView[];
}

export interface ClusterFeedOptions {
  consul: ConsulApi;
  cluster: string;
  /** The dashboard's TLS toward the control plane and the nodes, or plaintext. */
  credentials: ChannelCredentials;
  /** How often the control plane sends the picture, ms. */
  periodMs: number;
  logger: Logger;
}

/** Events kept for the page's log (newest last). */
const EVENTS_KEPT = 500;
/** Past decisions asked for on each (re)connect; those already known are skipped. */
const EVENT_HISTORY = 200;
/** Chart history kept for a page that opens now. */
const HISTORY_MS = 5 * 60_000;
/** How often the leader's identity and the control-plane instances are read from Consul. */
const LEADER_CHECK_MS = 1000;
/** Periods without a picture after which an open stream counts as stalled, not live. */
const STALL_PERIODS = 3;

/**
 * Follows the control-plane leader (the holder of the Consul lock): its WatchCluster stream
 * (topology with each node's last sample, policy, backlog) and its WatchEvents stream
 * (decisions and observations). When the leader changes or its streams break, it finds the
 * leader again and reconnects; the page is told while it is not connected.
 */
export class ClusterFeed {
  private connection: ConnectionView = { connected: false, leaderId: '', leaderAddress: '', problem: 'connecting' };
  private cluster: ClusterView | undefined;
  private readonly history = new MetricHistory(HISTORY_MS);
  private readonly events = new EventLog(EVENTS_KEPT);
  private readonly listeners = new Set<(m: FeedMessage) => void>();
  private readonly stopping = new AbortController();
  private readonly conflicts: ConflictWatcher;
  private controlPlanes: ControlPlaneView[] = [];
  private lastBacklog: BacklogView | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: ClusterFeedOptions) {
    this.conflicts = new ConflictWatcher(opts.logger, (conflicts) => this.emit({ type: 'conflicts', conflicts }), opts.credentials);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    this.conflicts.close();
  }

  snapshot(): FeedSnapshot {
    return { connection: this.connection, cluster: this.cluster, history: this.history.all(), events: this.events.all(), conflicts: this.conflicts.latest() };
  }

  subscribe(listener: (m: FeedMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How the monitor stands with the control plane now. */
  get status(): ConnectionView {
    return this.connection;
  }

  private emit(m: FeedMessage): void {
    for (const l of this.listeners) l(m);
  }

  private setConnection(c: ConnectionView): void {
    if (JSON.stringify(c) === JSON.stringify(this.connection)) return;
    this.connection = c;
    this.opts.logger.info({ ...c }, c.connected ? 'following the control-plane leader' : 'not following a control plane');
    this.emit({ type: 'connection', connection: c });
  }

  private run(): Promise<void> {
    const { consul, cluster } = this.opts;
    const down = (leader: ControlPlaneLeader | undefined, problem: string) =>
      this.setConnection({ connected: false, leaderId: leader?.id ?? '', leaderAddress: leader?.grpcAddress ?? '', problem });
    return followControlPlaneLeader(
      {
        consul,
        cluster,
        credentials: this.opts.credentials,
        signal: this.stopping.signal,
        recheckMs: LEADER_CHECK_MS,
        onRecheck: () =>
          this.readControlPlanes().catch((err: Error) =>
            this.opts.logger.debug({ err: err.message }, 'could not read the control-plane instances from Consul'),
          ),
        onState: (state) => {
          if (state.kind === 'consul-unreachable') down(undefined, `cannot reach Consul at ${consul.address}: ${state.error.message}`);
          if (state.kind === 'no-leader') down(undefined, `no control-plane instance holds the lock of cluster "${cluster}" (is one running?)`);
          if (state.kind === 'lost') down(state.leader, state.why);
        },
      },
      ({ leader, client, ended }) => this.follow(leader, client, ended),
    );
  }

  /**
   * Follows one leader's streams until they break or stall, or `ended` aborts (the lock passed
   * on, or the monitor stops); resolves with why it stopped.
   */
  private follow(leader: ControlPlaneLeader, client: ScaleClient, ended: AbortSignal): Promise<SessionEnd> {
    const streams: ClientReadableStream<unknown>[] = [];
    const stallMs = STALL_PERIODS * this.opts.periodMs;
    let stall: NodeJS.Timeout | undefined;
    let heard = false;
    let finished = false;
    return new Promise<SessionEnd>((resolve) => {
      const finish = (why: string) => {
        if (finished) return;
        finished = true;
        clearTimeout(stall);
        ended.removeEventListener('abort', onEnded);
        for (const s of streams) s.cancel();
        resolve({ why, heard });
      };
      const onEnded = () => finish(this.stopping.signal.aborted ? 'the monitor is stopping' : `${leader.id} no longer leads`);
      ended.addEventListener('abort', onEnded, { once: true });
      // An open stream that sends nothing is not live: the page must not show old data as current.
      const watchdog = () => {
        clearTimeout(stall);
        stall = setTimeout(() => finish(`no picture from ${leader.id} at ${leader.grpcAddress} for ${stallMs} ms`), stallMs);
      };
      watchdog();
      const broke = (name: string) => (err: Error & { details?: string }) =>
        finish(`${name} from ${leader.id} at ${leader.grpcAddress} broke: ${err.details || err.message}`);

      const cluster = client.watchCluster({ periodMs: this.opts.periodMs });
      streams.push(cluster);
      cluster.on('data', (m: WatchClusterResponse) => {
        heard = true;
        watchdog();
        this.setConnection({ connected: true, leaderId: leader.id, leaderAddress: leader.grpcAddress, problem: '' });
        this.onCluster(m);
      });
      cluster.on('error', broke('WatchCluster'));
      cluster.on('end', () => finish(`${leader.id} ended WatchCluster`));

      const events = client.watchEvents({ history: EVENT_HISTORY });
      streams.push(events);
      events.on('data', (m: WatchEventsResponse) => m.event && this.onEvent(eventView(m.event)));
      events.on('error', broke('WatchEvents'));
      events.on('end', () => finish(`${leader.id} ended WatchEvents`));
    });
  }

  private async readControlPlanes(): Promise<void> {
    const { value } = await this.opts.consul.healthService(controlPlaneServiceName(this.opts.cluster), { timeoutMs: 2000 });
    this.controlPlanes = value
      .map(memberFromConsul)
      .map((m) => ({ id: m.id, address: m.grpcAddress, health: healthName(m.health) }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  private onCluster(m: WatchClusterResponse): void {
    const backlog = m.backlog ? this.backlogView(m.backlog, m.backlogAtUnixMs) : undefined;
    const view = clusterView(m, this.controlPlanes, backlog);
    this.cluster = view;
    const point = this.history.add(view);
    this.conflicts.check(view.nodes);
    this.emit({ type: 'cluster', cluster: view, point });
  }

  /** The backlog with its events/s since the previous distinct reading. */
  private backlogView(b: GetBacklogResponse, atMs: number): BacklogView {
    const prev = this.lastBacklog;
    if (prev && prev.atMs === atMs) return prev;
    // A new primary counts done events from its store: a drop is not negative throughput.
    const eventsPerSecond = prev && atMs > prev.atMs ? Math.round((Math.max(0, b.done - prev.done) * 1000) / (atMs - prev.atMs)) : undefined;
    const view: BacklogView = {
      pending: b.pending,
      leased: b.leased,
      dead: b.dead,
      done: b.done,
      leasedByWorker: Object.fromEntries(b.workers.map((w) => [w.workerId, w.leased])),
      atMs,
      eventsPerSecond,
    };
    this.lastBacklog = view;
    return view;
  }

  private onEvent(e: EventView): void {
    if (this.events.add(e)) this.emit({ type: 'event', event: e });
  }
}
