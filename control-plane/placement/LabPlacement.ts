import type { Logger } from 'pino';
import type { AgentProcess, ProcessList } from '../../common/lab/hostAgentProtocol';
import { pause } from '../../common/time/pause';
import type { DeclaredNode } from '../reconcile/declaredNodes';
import { chooseHost, type HostView } from './chooseHost';
import { HostAgentClient, HostAgentRefused } from './HostAgentClient';
import type { NodeKnowledge, PlacedNode, Placement, StartedNodeProcess, StopHow } from './Placement';

export interface LabPlacementOptions {
  /** Each host's name and its agent's host:port (config.placement.agents). */
  agents: Record<string, string>;
  logger: Logger;
  /** Something changed (a host went out of reach or came back, a process started or exited): reconcile soon. */
  onChange: () => void;
  /** How often each agent's list is read, ms. @default 250 */
  pollIntervalMs?: number;
  /** How long a list may take before the host counts as unreachable, ms. @default 500 */
  pollTimeoutMs?: number;
}

/** The first list of an agent (a fresh connection, a control plane just started) may take this long, ms. */
const FIRST_LIST_TIMEOUT_MS = 2000;

/** One host as the placement knows it. */
interface HostState {
  name: string;
  client: HostAgentClient;
  /** Its agent's last list, kept while it does not answer; undefined before the first. */
  list: AgentProcess[] | undefined;
  reachable: boolean;
  /** Since when it is unreachable (or since the placement started, before its first answer), ms. */
  since: number;
  reason: string;
  /** Processes started here whose start no list has shown yet (a list asked before the start would miss them). */
  pending: Map<string, { process: AgentProcess; at: number }>;
  /** Ids given up while it was unreachable: killed and forgotten once it answers. */
  abandoned: Set<string>;
}

/** An `exited` promise of a process this instance started. */
interface ExitWaiter {
  host: string;
  startedAtMs: number;
  resolve: () => void;
}

/**
 * Runs nodes on lab hosts through each host's agent (common/lab/hostAgentProtocol.ts), over
 * the lab network: a partition cuts the control plane off from a host's agent as from a real
 * machine's. Every agent's list is read every ~250 ms with a short deadline; a host whose agent
 * does not answer is unreachable, and what it last listed is kept as unknown (it may run or
 * not). The agents' lists are the truth, so a control plane that takes over re-adopts what runs.
 */
export class LabPlacement implements Placement {
  private readonly hosts: HostState[];
  private readonly exits = new Map<string, ExitWaiter>();
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];
  private readonly pollIntervalMs: number;
  private readonly pollTimeoutMs: number;

  constructor(private readonly opts: LabPlacementOptions) {
    this.pollIntervalMs = opts.pollIntervalMs ?? 250;
    this.pollTimeoutMs = opts.pollTimeoutMs ?? 500;
    const now = Date.now();
    this.hosts = Object.entries(opts.agents).map(([name, address]) => ({
      name,
      client: new HostAgentClient(address, this.pollTimeoutMs * 2),
      list: undefined,
      reachable: false,
      since: now,
      reason: 'its agent has not answered yet',
      pending: new Map(),
      abandoned: new Set(),
    }));
  }

  /**
   * Starts reading every agent's list; resolves after the first round (each agent answered or
   * timed out). The first list may take longer (FIRST_LIST_TIMEOUT_MS): until a host is listed,
   * no node may start anywhere (it may hold any of them).
   */
  async follow(): Promise<void> {
    await Promise.all(this.hosts.map((h) => this.poll(h, Math.max(FIRST_LIST_TIMEOUT_MS, this.pollTimeoutMs))));
    this.loops = this.hosts.map((h) => this.pollLoop(h));
  }

  async close(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.loops);
  }

  knowledge(id: string): NodeKnowledge {
    let unknown: NodeKnowledge | undefined;
    let stopped: PlacedNode | undefined;
    for (const h of this.hosts) {
      const p = this.entry(h, id);
      if (!p) continue;
      if (!h.reachable) unknown ??= { state: 'unknown', record: placed(p, h.name), since: h.since, reason: `${h.name} cannot be reached: ${h.reason}` };
      else if (p.running) return { state: 'running', record: placed(p, h.name) };
      else stopped ??= placed(p, h.name);
    }
    if (unknown) return unknown;
    // A host never listed may hold it: nothing is known until it answers.
    const unlisted = this.hosts.find((h) => h.list === undefined);
    if (unlisted) return { state: 'unknown', record: undefined, since: unlisted.since, reason: `${unlisted.name} has not been listed yet: ${unlisted.reason}` };
    return { state: 'stopped', record: stopped };
  }

  async start(node: DeclaredNode, restarts: number): Promise<StartedNodeProcess> {
    const known = this.knowledge(node.id);
    if (known.state !== 'stopped') throw new Error(`${node.id} may run already (${known.state === 'running' ? `on ${known.record.host}` : known.reason})`);
    const name = chooseHost(node, this.views());
    const host = this.hosts.find((h) => h.name === name)!;
    const previous = this.entry(host, node.id);
    const process = await host.client.start({
      id: node.id,
      role: node.role,
      grpcPort: previous?.grpcPort ?? node.basePort,
      httpPort: previous?.httpPort ?? node.baseHttpPort,
      restarts,
    });
    // Only a list asked after this answer is sure to show it.
    host.pending.set(node.id, { process, at: Date.now() });
    this.opts.logger.info({ node: node.id, host: name, grpc: process.grpcAddress, pid: process.pid }, 'started a node on a lab host');
    const exited = new Promise<void>((resolve) => this.exits.set(node.id, { host: name, startedAtMs: process.startedAtMs, resolve }));
    return { ...placed(process, name), exited };
  }

  async stop(id: string, how: StopHow): Promise<void> {
    const host = this.hostOf(id);
    if (!host) return;
    try {
      const after = await host.client.stop(id, how === 'kill' ? { kill: true } : { graceMs: how.graceMs });
      this.replace(host, after);
    } catch (err) {
      if (!(err instanceof HostAgentRefused && err.status === 404)) throw err;
    }
  }

  async setDrained(id: string, drained: boolean): Promise<void> {
    const host = this.hostOf(id);
    if (host) this.replace(host, await host.client.setDrained(id, drained));
  }

  async forget(id: string): Promise<void> {
    const host = this.hostOf(id);
    if (!host) return;
    try {
      await host.client.forget(id);
    } catch (err) {
      if (!(err instanceof HostAgentRefused && err.status === 404)) throw err;
    }
    this.drop(host, id);
  }

  abandon(id: string): void {
    for (const h of this.hosts) {
      if (h.reachable || !this.entry(h, id)) continue;
      h.abandoned.add(id);
      this.opts.logger.warn({ node: id, host: h.name }, 'gave up a node on an unreachable host: it is killed and forgotten there once the host answers');
    }
  }

  /** Hosts as the host choice sees them. */
  private views(): HostView[] {
    return this.hosts.map((h) => ({
      name: h.name,
      reachable: h.reachable,
      processes: this.entries(h).map((p) => ({ id: p.id, role: p.role, running: p.running })),
    }));
  }

  /** The host whose record of `id` counts, when that host answers; throws when it is unreachable. */
  private hostOf(id: string): HostState | undefined {
    const known = this.knowledge(id);
    if (known.state === 'unknown' && known.record) throw new Error(`${id} is on ${known.record.host}, which cannot be reached: ${known.reason}`);
    return known.record && this.hosts.find((h) => h.name === known.record!.host);
  }

  /** The host's processes: its last list with the starts it has not shown yet, without the abandoned ones. */
  private entries(h: HostState): AgentProcess[] {
    const listed = (h.list ?? []).filter((p) => !h.pending.has(p.id));
    return [...listed, ...[...h.pending.values()].map((p) => p.process)].filter((p) => !h.abandoned.has(p.id));
  }

  private entry(h: HostState, id: string): AgentProcess | undefined {
    return this.entries(h).find((p) => p.id === id);
  }

  /** What an agent answered about one process, until its next list. */
  private replace(h: HostState, process: AgentProcess): void {
    h.pending.delete(process.id);
    h.list = [...(h.list ?? []).filter((p) => p.id !== process.id), process];
    if (!process.running) this.exited(h.name, process.id);
  }

  private drop(h: HostState, id: string): void {
    h.pending.delete(id);
    h.list = h.list?.filter((p) => p.id !== id);
    this.exited(h.name, id);
  }

  private exited(host: string, id: string): void {
    const waiter = this.exits.get(id);
    if (waiter?.host !== host) return;
    this.exits.delete(id);
    waiter.resolve();
  }

  private async pollLoop(h: HostState): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      await pause(this.pollIntervalMs, signal);
      if (!signal.aborted) await this.poll(h);
    }
  }

  private async poll(h: HostState, timeoutMs = this.pollTimeoutMs): Promise<void> {
    const askedAt = Date.now();
    let answer: ProcessList;
    try {
      answer = await h.client.list(timeoutMs);
    } catch (err) {
      const e = err as Error & { cause?: Error };
      const reason = e.name === 'TimeoutError' ? `its agent did not answer within ${timeoutMs} ms` : (e.cause?.message ?? e.message);
      if (h.reachable) {
        h.reachable = false;
        h.since = Date.now();
        this.opts.logger.warn({ host: h.name, agent: h.client.address, reason }, 'lab host unreachable: what it last listed is unknown now');
        this.opts.onChange();
      }
      h.reason = reason;
      return;
    }
    const before = new Map(this.entries(h).map((p) => [p.id, p.running]));
    const wasReachable = h.reachable;
    h.list = answer.processes;
    h.reachable = true;
    for (const [id, p] of h.pending) if (p.at < askedAt || answer.processes.some((q) => q.id === id)) h.pending.delete(id);
    if (!wasReachable) this.opts.logger.info({ host: h.name, processes: answer.processes.length }, 'lab host answers');
    await this.reap(h);
    for (const [id, waiter] of this.exits) {
      if (waiter.host !== h.name || h.pending.has(id)) continue;
      const p = h.list.find((q) => q.id === id);
      if (!p || !p.running || p.startedAtMs !== waiter.startedAtMs) this.exited(h.name, id);
    }
    const after = this.entries(h);
    const changed = !wasReachable || after.length !== before.size || after.some((p) => before.get(p.id) !== p.running);
    if (changed) this.opts.onChange();
  }

  /** Kills and forgets what was given up while the host was unreachable. */
  private async reap(h: HostState): Promise<void> {
    for (const id of [...h.abandoned]) {
      const p = h.list?.find((q) => q.id === id);
      try {
        if (p?.running) await h.client.stop(id, { kill: true });
        if (p) await h.client.forget(id);
        h.abandoned.delete(id);
        h.list = h.list?.filter((q) => q.id !== id);
        if (p) this.opts.logger.info({ node: id, host: h.name, wasRunning: p.running }, 'killed and forgot a node given up while its host was unreachable');
      } catch (err) {
        this.opts.logger.warn(
          { node: id, host: h.name, err: (err as Error).message },
          'could not yet kill or forget a node given up on this host; trying again',
        );
      }
    }
  }
}

/** An agent's process as the reconciler sees it, on the host the placement reached it through. */
function placed(p: AgentProcess, host: string): PlacedNode {
  return {
    id: p.id,
    host,
    pid: p.pid,
    grpcPort: p.grpcPort,
    httpPort: p.httpPort,
    grpcAddress: p.grpcAddress,
    log: p.log,
    restarts: p.restarts,
    drained: p.drained,
  };
}
