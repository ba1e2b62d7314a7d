import { readLeader } from '../../common/cluster/leaderRecord';
import type { ConsulApi } from '../../common/consul/ConsulApi';
import { isRunning } from '../../common/local/processRecord';
import type { RunDir } from '../../common/local/RunDir';
import { signalGroup } from '../../common/local/stopProcess';
import type { SeededRandom } from './seededRandom';

/** The faults `shoal chaos` makes on the local cluster (`make up`). */
export const LOCAL_FAULTS = ['kill-primary', 'kill-node', 'pause-node'] as const;
export type LocalFault = (typeof LOCAL_FAULTS)[number];

/** A fault as the history records it. */
export interface FaultEvent {
  type: 'fault';
  fault: LocalFault;
  /** The node it struck, or why it struck none. */
  target: string;
  startMs: number;
  /** When it was lifted (a pause resumed); a kill is over at once: the control plane heals it. */
  endMs: number;
}

/** How long a paused node stays paused, ms: about the control plane's failoverAfter, on either side of it. */
const PAUSE_MS: [number, number] = [300, 2500];

/**
 * Faults on the nodes `shoal up`'s control planes started (their run directory): kill -9 of the
 * primary or of any node, and SIGSTOP of any node for a while, then SIGCONT. The control planes
 * heal the cluster; the nemesis only resumes what it paused.
 */
export class LocalNemesis {
  private readonly paused = new Set<number>();

  constructor(
    private readonly runDir: RunDir,
    private readonly consul: ConsulApi,
    private readonly cluster: string,
    private readonly random: SeededRandom,
  ) {}

  /** Makes one fault and lifts it (a pause) before it resolves. */
  async strike(fault: LocalFault, now: () => number): Promise<FaultEvent> {
    const running = this.runDir.readNodes().filter(isRunning);
    const startMs = now();
    const none = (why: string): FaultEvent => ({ type: 'fault', fault, target: `none (${why})`, startMs, endMs: startMs });
    let target = fault === 'kill-primary' ? (await readLeader(this.consul, this.cluster)).record?.primaryId : undefined;
    if (fault !== 'kill-primary') target = running.length > 0 ? this.random.pick(running).id : undefined;
    const node = running.find((n) => n.id === target);
    if (!node) return none(target ? `${target} is not running` : 'no node running');
    if (fault !== 'pause-node') {
      signalGroup(node.pid, 'SIGKILL');
      return { type: 'fault', fault, target: node.id, startMs, endMs: startMs };
    }
    signalGroup(node.pid, 'SIGSTOP');
    this.paused.add(node.pid);
    await new Promise((resolve) => setTimeout(resolve, this.random.between(...PAUSE_MS)));
    this.resume(node.pid);
    return { type: 'fault', fault, target: node.id, startMs, endMs: now() };
  }

  /** Resumes whatever is still paused (the run was interrupted mid-pause). */
  healAll(): void {
    for (const pid of this.paused) this.resume(pid);
  }

  private resume(pid: number): void {
    this.paused.delete(pid);
    signalGroup(pid, 'SIGCONT');
  }
}
