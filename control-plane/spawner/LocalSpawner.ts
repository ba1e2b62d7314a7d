import { EventEmitter } from 'node:events';
import type { RunDir, StartedNode } from '../../common/local/RunDir';
import { isRunning, recordProcess } from '../../common/local/processRecord';
import { signalGroup, stopProcess } from '../../common/local/stopProcess';
import type { DeclaredNode } from '../reconcile/declaredNodes';
import { pickPort } from './pickPort';
import { spawnNode } from './spawnNode';
import type { SpawnedNode, Spawner } from './Spawner';

export interface LocalSpawnerOptions {
  runDir: RunDir;
  consulAddress: string;
  cluster: string;
  configPath?: string;
  /** Interface the nodes bind. @default "127.0.0.1" */
  host?: string;
}

/**
 * Runs nodes as child processes on this machine. What it starts is recorded in the run
 * directory (nodes/<id>.json: pid, process start time, ports, log), and that record is the
 * truth: a control plane that restarts, or a standby that takes over, re-adopts every recorded
 * process that still runs instead of starting a duplicate.
 */
export class LocalSpawner implements Spawner {
  private readonly exits = new EventEmitter();

  constructor(private readonly opts: LocalSpawnerOptions) {}

  running(id: string): SpawnedNode | undefined {
    const record = this.recorded(id);
    return record && isRunning(record) ? record : undefined;
  }

  recorded(id: string): StartedNode | undefined {
    return this.opts.runDir.readNodes().find((n) => n.id === id);
  }

  forget(id: string): void {
    this.opts.runDir.removeNode(id);
  }

  setDrained(id: string, drained: boolean): void {
    const record = this.recorded(id);
    if (record) this.opts.runDir.writeNode({ ...record, drained });
  }

  async start(node: DeclaredNode, restarts: number): Promise<SpawnedNode> {
    const records = this.opts.runDir.readNodes();
    const previous = records.find((n) => n.id === node.id);
    if (previous && isRunning(previous)) throw new Error(`node ${node.id} runs already (pid ${previous.pid})`);
    // Ports given to other nodes count as taken even before those nodes bind them.
    const taken = new Set(records.filter((n) => n.id !== node.id && isRunning(n)).flatMap((n) => [n.grpcPort, n.httpPort]));
    const host = this.opts.host ?? '127.0.0.1';
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
      consulAddress: this.opts.consulAddress,
      cluster: this.opts.cluster,
      configPath: this.opts.configPath,
    });
    const record: StartedNode = { id: node.id, role: node.role, ...recordProcess(child.pid), log, grpcPort, httpPort, restarts };
    runDir.writeNode(record);
    child.once('exit', () => this.exits.emit('exit', node.id));
    return record;
  }

  kill(id: string): void {
    const record = this.running(id);
    if (record) signalGroup(record.pid, 'SIGKILL');
  }

  async stop(id: string, graceMs: number): Promise<void> {
    const record = this.opts.runDir.readNodes().find((n) => n.id === id);
    if (record) await stopProcess(record, graceMs);
  }

  onExit(listener: (id: string) => void): void {
    this.exits.on('exit', listener);
  }
}
