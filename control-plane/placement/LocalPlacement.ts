import type { RunDir, StartedNode } from '../../common/local/RunDir';
import { isRunning, recordProcess } from '../../common/local/processRecord';
import { signalGroup, stopProcess } from '../../common/local/stopProcess';
import { waitFor } from '../../common/time/waitFor';
import type { DeclaredNode } from '../reconcile/declaredNodes';
import { pickPort } from './pickPort';
import type { NodeKnowledge, PlacedNode, Placement, StartedNodeProcess, StopHow } from './Placement';
import { spawnNode } from './spawnNode';

export interface LocalPlacementOptions {
  runDir: RunDir;
  consulAddress: string;
  cluster: string;
  configPath?: string;
  /** Interface the nodes bind, and the address others dial them at. @default "127.0.0.1" */
  host?: string;
  /** The nodes may serve plaintext beyond loopback (the control plane's --insecure, passed on). */
  insecure?: boolean;
}

/** How long a SIGKILLed process may take to be gone, ms. */
const KILL_WAIT_MS = 5000;

/**
 * Runs nodes as child processes on this machine. What it starts is recorded in the run
 * directory (nodes/<id>.json: pid, process start time, ports, log), and that record is the
 * truth: a control plane that restarts, or a standby that takes over, re-adopts every recorded
 * process that still runs instead of starting a duplicate. Its knowledge is never unknown: this
 * machine's processes can always be looked at.
 */
export class LocalPlacement implements Placement {
  /** The exit of each child this instance started, by node id (a re-adopted process is no child of ours). */
  private readonly children = new Map<string, { pid: number; exited: Promise<void> }>();

  constructor(private readonly opts: LocalPlacementOptions) {}

  knowledge(id: string): NodeKnowledge {
    const record = this.recorded(id);
    const placed = record && this.placed(record);
    return record && isRunning(record) ? { state: 'running', record: placed! } : { state: 'stopped', record: placed };
  }

  forget(id: string): Promise<void> {
    this.opts.runDir.removeNode(id);
    return Promise.resolve();
  }

  /** Never needed: a local process is never unknown. */
  abandon(): void {}

  setDrained(id: string, drained: boolean): Promise<void> {
    const record = this.recorded(id);
    if (record) this.opts.runDir.writeNode({ ...record, drained });
    return Promise.resolve();
  }

  private recorded(id: string): StartedNode | undefined {
    return this.opts.runDir.readNodes().find((n) => n.id === id);
  }

  private get host(): string {
    return this.opts.host ?? '127.0.0.1';
  }

  private placed(record: StartedNode): PlacedNode {
    // A port of 0 is the OS's choice: known only once the node registers in Consul.
    return { ...record, host: '', grpcAddress: record.grpcPort ? `${this.host}:${record.grpcPort}` : '' };
  }

  async start(node: DeclaredNode, restarts: number): Promise<StartedNodeProcess> {
    const records = this.opts.runDir.readNodes();
    const previous = records.find((n) => n.id === node.id);
    if (previous && isRunning(previous)) throw new Error(`node ${node.id} runs already (pid ${previous.pid})`);
    // Ports given to other nodes count as taken even before those nodes bind them.
    const taken = new Set(records.filter((n) => n.id !== node.id && isRunning(n)).flatMap((n) => [n.grpcPort, n.httpPort]));
    const host = this.host;
    const grpcPort = await pickPort(node.basePort, taken, host, previous?.grpcPort);
    taken.add(grpcPort);
    const httpPort = await pickPort(node.baseHttpPort, taken, host, previous?.httpPort);
    const { runDir } = this.opts;
    const { child, log } = spawnNode({
      id: node.id,
      role: node.role,
      grpcPort,
      httpPort,
      logsDir: runDir.logsDir,
      dataDir: runDir.dataDir,
      host,
      insecure: this.opts.insecure ?? false,
      consulAddress: this.opts.consulAddress,
      cluster: this.opts.cluster,
      configPath: this.opts.configPath,
    });
    const record: StartedNode = { id: node.id, role: node.role, ...recordProcess(child.pid), log, grpcPort, httpPort, restarts };
    runDir.writeNode(record);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.children.set(node.id, { pid: child.pid, exited });
    void exited.then(() => {
      if (this.children.get(node.id)?.exited === exited) this.children.delete(node.id);
    });
    return { ...this.placed(record), exited };
  }

  async stop(id: string, how: StopHow): Promise<void> {
    const record = this.recorded(id);
    if (!record) return;
    if (how !== 'kill') {
      await stopProcess(record, how.graceMs);
      return;
    }
    if (!isRunning(record)) return;
    signalGroup(record.pid, 'SIGKILL');
    const child = this.children.get(id);
    if (child?.pid === record.pid) await within(child.exited, KILL_WAIT_MS, `${id} to exit`);
    // A re-adopted process is no child of ours: there is no exit to wait on, only its pid to watch.
    else await waitFor(`${id} to exit`, () => !isRunning(record), { timeoutMs: KILL_WAIT_MS, intervalMs: 20 });
  }
}

/** `promise`, or a rejection after `ms`. */
async function within(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
