import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { TransportSecurity } from '../../common/tls/TransportSecurity';
import { StateClient } from '../../common/client/StateClient';
import { unaryCall } from '../../common/client/grpcCall';
import { readControlPlaneLeader } from '../../common/cluster/controlPlaneLeader';
import { type LeaderRecord, readLeader } from '../../common/cluster/leaderRecord';
import { labMasterToken } from '../../lab/consul/labConsulSecurity';
import { ConsulApi } from '../../common/consul/ConsulApi';
import { declaredNodeIds, parseClusterConfig } from '../../common/config/clusterConfig';
import { waitFor } from '../../common/time/waitFor';
import { REPO_ROOT } from '../../common/paths';
import type { HistoryEvent, KeyValue } from '../../common/history/event';
import { HistoryRecorder } from '../../common/history/HistoryRecorder';
import { RecordedStateClient } from '../../common/history/RecordedStateClient';
import { checkAckedWrites } from '../../common/history/checkAckedWrites';
import { checkReadValues } from '../../common/history/checkReadValues';
import { checkOneWriterPerTerm } from '../../common/history/checkOneWriterPerTerm';
import { problemsOf } from '../../common/history/verdict';
import { HostAgentClient } from '../../control-plane/placement/HostAgentClient';
import { decisionLogKey } from '../../control-plane/events/DecisionLog';
import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import { ClusterEvent, ClusterEventKind, type GetTopologyResponse, NodePhase, ScaleClient } from '../../gen/shoal/v1/scale';
import { consulServers, type LabHost, type LabLayout } from '../../lab/layout';
import type { AgentProcess } from '../../common/lab/hostAgentProtocol';
import { type TestLabOptions, useLab } from './lab';

/**
 * The cluster a lab runs, seen from the machine's own namespace (a client on no lab host): its
 * Consul servers (each tried in turn, so a cut or killed one costs a second), the leader
 * record, the control-plane leader's topology and decision log, and the agents' process lists.
 */
export class LabCluster {
  readonly consul: ConsulApi;

  /** The Consul servers, each asked on its own by consulViews. */
  private readonly servers: LabHost[];
  /** How many nodes the lab's cluster config declares. */
  private readonly declaredCount: number;

  /** The operator's certificate (the lab runs with mutual TLS). */
  readonly credentials: ChannelCredentials;

  private readonly masterToken: string;

  constructor(readonly layout: LabLayout) {
    const [first, ...rest] = consulServers(layout).map((h) => h.consulHttp);
    // The master token: the tests read what shoal's policy does not grant (the Raft peers).
    this.masterToken = labMasterToken(layout.runDir);
    this.consul = new ConsulApi(first, { fallbackAddresses: rest, maxTimeoutMs: 1000, token: this.masterToken });
    this.servers = consulServers(layout);
    const config = parseClusterConfig(JSON.parse(readFileSync(layout.clusterConfig, 'utf8')));
    this.declaredCount = declaredNodeIds(config).length;
    this.credentials = TransportSecurity.of(config.tls, 'operator').channel();
  }

  get cluster(): string {
    return this.layout.cluster;
  }

  async leader(): Promise<LeaderRecord> {
    const { record } = await readLeader(this.consul, this.cluster);
    if (!record) throw new Error('no leader record yet');
    return record;
  }

  /** The topology as the control-plane leader sees it. */
  async topology(): Promise<GetTopologyResponse> {
    const leader = await readControlPlaneLeader(this.consul, this.cluster);
    if (!leader) throw new Error('no control-plane leader');
    const client = new ScaleClient(leader.grpcAddress, this.credentials);
    try {
      return await unaryCall<GetTopologyResponse>((m, o, cb) => client.getTopology({}, m, o, cb), Date.now() + 2000);
    } finally {
      client.close();
    }
  }

  async controlPlaneLeaderId(): Promise<string | undefined> {
    return (await readControlPlaneLeader(this.consul, this.cluster))?.id;
  }

  /** Every running node process, per host, from the agents that answer. */
  async processes(): Promise<{ host: string; process: AgentProcess }[]> {
    const lists = await Promise.all(this.layout.hosts.map((h) => new HostAgentClient(h.agent, 1000).list().catch(() => undefined)));
    return lists.flatMap((l) => (l ? l.processes.filter((p) => p.running).map((p) => ({ host: l.host, process: p })) : []));
  }

  /** The host a node runs on now (its agent lists it running). */
  async hostOf(id: string): Promise<string> {
    const found = (await this.processes()).find((p) => p.process.id === id);
    if (!found) throw new Error(`${id} runs on no host that answers`);
    return found.host;
  }

  /** Node ids that run on more than one host at once. */
  async duplicates(): Promise<string[]> {
    const seen = new Map<string, number>();
    for (const { process } of await this.processes()) seen.set(process.id, (seen.get(process.id) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  }

  /** The decision log in Consul, oldest first. */
  async decisions(): Promise<ClusterEvent[]> {
    const { value } = await this.consul.kvGet(decisionLogKey(this.cluster));
    return value ? (JSON.parse(value.value) as unknown[]).map((e) => ClusterEvent.fromJSON(e)) : [];
  }

  /**
   * Watches the decision log for `ms` (a bounded observation: the point is that something does
   * NOT happen) and resolves with the failovers decided since `sinceMs`.
   */
  async failoversDuring(sinceMs: number, ms: number): Promise<string[]> {
    const until = Date.now() + ms;
    const seen = new Set<string>();
    while (Date.now() < until) {
      for (const e of await this.decisions().catch(() => []))
        if (e.kind === ClusterEventKind.CLUSTER_EVENT_KIND_FAILED_OVER && e.atUnixMs >= sinceMs) seen.add(`${e.nodeId}: ${e.reason}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return [...seen];
  }

  /** The lab host whose Consul server is the Raft leader now (the first server that answers says). */
  async raftLeaderHost(): Promise<string> {
    const leader = await this.consul.leader();
    const host = this.servers.find((s) => leader.startsWith(`${s.address}:`));
    if (!host) throw new Error(`Consul's Raft leader ${leader || '(none)'} is not one of the lab's servers`);
    return host.name;
  }

  /**
   * Every Consul server answers and reports a Raft configuration of all the servers as voters
   * with a leader: a server that was cut off or killed has rejoined as a voter (autopilot
   * removes a dead server and adds it back as a non-voter for a while), so the next fault on
   * another server still leaves a quorum.
   */
  async consulWhole(): Promise<boolean> {
    return (await this.consulViews()).whole;
  }

  /** Each Consul server's Raft configuration as it answers (or why it does not), and whether they make a whole. */
  async consulViews(): Promise<{ whole: boolean; views: string[] }> {
    const addresses = this.servers.map((s) => s.address);
    const views = await Promise.all(
      this.servers.map(async (s) => {
        try {
          const res = await fetch(`http://${s.consulHttp}/v1/operator/raft/configuration`, {
            headers: { 'x-consul-token': this.masterToken },
            signal: AbortSignal.timeout(1000),
          });
          if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).trim()}`);
          const { Servers } = (await res.json()) as { Servers: { Address: string; Leader: boolean; Voter: boolean }[] };
          const leader = Servers.find((v) => v.Leader)?.Address ?? '';
          const voters = Servers.filter((v) => v.Voter).map((v) => v.Address.split(':')[0]);
          return { leader, voters, text: `${s.name}: leader ${leader || 'none'}, voters ${voters.join(' ') || 'none'}` };
        } catch (err) {
          return { leader: '', voters: [] as string[], text: `${s.name}: ${(err as Error).message}` };
        }
      }),
    );
    const whole = views.every((v) => v.leader !== '' && v.leader === views[0].leader && addresses.every((a) => v.voters.includes(a)));
    return { whole, views: views.map((v) => v.text) };
  }

  /**
   * Whole: Consul's three servers are (consulWhole), the leader record's primary serves as
   * primary, and every declared node runs with a live status stream, passes in Consul and (state
   * nodes) shares the record's term.
   */
  async settled(timeoutMs = 90_000): Promise<LeaderRecord> {
    return waitFor(
      'the lab cluster to settle',
      async () => {
        if (!(await this.consulWhole())) return false;
        const record = await this.leader();
        const t = await this.topology();
        const declared = t.nodes.filter((n) => n.declaredRole !== NodeRole.NODE_ROLE_UNSPECIFIED);
        const whole = declared.every(
          (n) =>
            n.phase === NodePhase.NODE_PHASE_RUNNING &&
            n.streamConnected &&
            n.health === MemberHealth.MEMBER_HEALTH_PASSING &&
            (n.declaredRole === NodeRole.NODE_ROLE_WORKER || n.term === record.term),
        );
        const primary = t.nodes.find((n) => n.id === record.primaryId);
        return whole && primary?.observedRole === NodeRole.NODE_ROLE_PRIMARY && declared.length >= this.declaredCount && record;
      },
      {
        timeoutMs,
        intervalMs: 250,
        describe: async () => {
          const { whole, views } = await this.consulViews();
          const consul = whole ? 'Consul whole' : `Consul not whole (${views.join('; ')})`;
          const record = await this.leader().catch((err: Error) => err.message);
          const nodes = (await this.topology().catch(() => undefined))?.nodes.map((n) =>
            [
              n.id,
              NodePhase[n.phase],
              n.host,
              n.streamConnected ? 'streaming' : 'no stream',
              MemberHealth[n.health],
              `term ${n.term}`,
              NodeRole[n.observedRole],
            ].join(' '),
          );
          return `${consul}; leader record: ${typeof record === 'string' ? record : `${record.primaryId} term ${record.term}`}; nodes: ${JSON.stringify(nodes)}`;
        },
      },
    );
  }

  /** A client of the State API that finds the primary through the lab's Consul servers. */
  stateClient(deadlineMs = 10_000): StateClient {
    return new StateClient({ consul: this.consul, cluster: this.cluster, deadlineMs, credentials: this.credentials });
  }
}

/** One acknowledged write: what was written, in which term, and which node the client had as primary. */
export interface AckedWrite {
  key: string;
  value: string;
  term: number;
  position: number;
  address: string;
  atMs: number;
}

export interface AckedWriterOptions {
  /** The history its operations go to, shared with a scenario's other clients. @default one of its own */
  recorder?: HistoryRecorder;
  /** Where stop() and check() save the history. @default test-output/history/<prefix>.jsonl */
  historyFile?: string;
}

/**
 * Sequential writes of unique keys from one client, as fast as they are acknowledged, each
 * one an operation in a history (`recorder`, saved to `historyFile`) and each acknowledged one
 * also listed in `acked`. `check` reads every key back from the primary and judges the history:
 * every acknowledged write is there, no read shows a value never written, and no two nodes
 * acknowledged writes in one term or in overlapping time.
 */
export class AckedWriter {
  readonly acked: AckedWrite[] = [];
  failed = 0;
  readonly recorder: HistoryRecorder;
  readonly historyFile: string;
  private readonly client: RecordedStateClient;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly state: StateClient,
    private readonly prefix: string,
    opts: AckedWriterOptions = {},
  ) {
    this.recorder = opts.recorder ?? new HistoryRecorder();
    this.client = new RecordedStateClient(state, this.recorder, `writer ${prefix}`);
    this.historyFile = opts.historyFile ?? join(REPO_ROOT, 'test-output', 'history', `${prefix.replace(/[^\w.-]+/g, '_')}.jsonl`);
  }

  start(): this {
    this.loop = (async () => {
      for (let i = 0; !this.stopped; i++) {
        const key = `${this.prefix}/${i}`;
        const value = `v${i}`;
        try {
          const r = await this.client.write(key, value);
          this.acked.push({ key, value, term: r.term, position: r.position, address: this.state.primaryAddress ?? '', atMs: Date.now() });
        } catch {
          this.failed += 1;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();
    return this;
  }

  /** Acknowledged writes after `sinceMs` (local clock). */
  ackedSince(sinceMs: number): AckedWrite[] {
    return this.acked.filter((w) => w.atMs >= sinceMs);
  }

  /** Waits until `n` more writes have been acknowledged after `sinceMs`; resolves with the first. */
  async acknowledgedAfter(sinceMs: number, n = 1, timeoutMs = 20_000, what = 'writes to be acknowledged'): Promise<AckedWrite> {
    return waitFor(what, () => this.ackedSince(sinceMs).length >= n && this.ackedSince(sinceMs)[0], { timeoutMs, intervalMs: 20 });
  }

  /** The longest time between two acknowledgements, ms. */
  longestGapMs(): number {
    let gap = 0;
    for (let i = 1; i < this.acked.length; i++) gap = Math.max(gap, this.acked[i].atMs - this.acked[i - 1].atMs);
    return gap;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.recorder.save(this.historyFile);
  }

  /** The history of this writer's keys (a shared recorder also holds other clients'). */
  history(): HistoryEvent[] {
    return this.recorder.history.filter((e) => e.key.startsWith(`${this.prefix}/`));
  }

  /**
   * Problems with the history, empty when none: after a final read of every key it wrote (from
   * the primary, recorded too), the checkers' problems (an acknowledged write lost or replaced,
   * a read of a value never written, two nodes acknowledging in one term or an old term
   * acknowledged after a newer one), and acknowledgements out of log order. Call after stop().
   */
  async check(): Promise<string[]> {
    const problems: string[] = [];
    for (let i = 1; i < this.acked.length; i++) {
      const [a, b] = [this.acked[i - 1], this.acked[i]];
      if (b.term < a.term || (b.term === a.term && b.position <= a.position))
        problems.push(`${b.key} (term ${b.term}, position ${b.position}) was acknowledged after ${a.key} (term ${a.term}, position ${a.position})`);
    }
    const finalReads = new Map<string, KeyValue>();
    const reader = new RecordedStateClient(this.state, this.recorder, `final reads ${this.prefix}`);
    for (const key of new Set(this.history().map((e) => e.key))) {
      try {
        const r = await reader.read(key);
        finalReads.set(key, r.found ? r.value.toString('utf8') : null);
      } catch (err) {
        problems.push(`${key} could not be read back from the primary: ${(err as Error).message}`);
      }
    }
    this.recorder.save(this.historyFile);
    const history = this.history();
    problems.push(...problemsOf([checkAckedWrites(history, finalReads), checkReadValues(history), checkOneWriterPerTerm(history)]));
    return problems;
  }
}

/**
 * A lab with the cluster placed on it, for one suite (useLab with the control planes), with a
 * LabCluster of it as `.cluster`, and after each test every fault healed, so the next starts from a lab with
 * all its links (each test still waits for `settled()` itself).
 */
export function useLabCluster(opts: Omit<TestLabOptions, 'cluster'> = {}) {
  const lab = useLab({ hosts: 5, ...opts, cluster: true });
  let cluster: LabCluster | undefined;
  before(function () {
    cluster = new LabCluster(lab.layout);
  });
  afterEach(async function () {
    this.timeout(30_000);
    await lab.heal();
  });
  return Object.defineProperty(lab, 'cluster', {
    get(): LabCluster {
      if (!cluster) throw new Error('the lab is not up (its before hook failed)');
      return cluster;
    },
  }) as typeof lab & { readonly cluster: LabCluster };
}
