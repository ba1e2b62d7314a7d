import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A process `shoal up` started. */
export interface StartedProcess {
  pid: number;
  log: string;
}

export interface StartedNode extends StartedProcess {
  id: string;
  role: string;
  grpcPort: number;
  httpPort: number;
}

/** What `shoal up` records so `down`, `status` and a second `up` know what runs. */
export interface RunState {
  cluster: string;
  startedAt: string;
  consul: { address: string; uiUrl: string; dir: string; process?: StartedProcess };
  nodes: StartedNode[];
}

/**
 * The run directory of a local cluster (default `.run/` in the checkout): state.json, logs/
 * and the Consul dev agent's directory.
 */
export class RunDir {
  constructor(readonly path: string) {}

  get logsDir(): string {
    return join(this.path, 'logs');
  }

  get consulDir(): string {
    return join(this.path, 'consul');
  }

  private get stateFile(): string {
    return join(this.path, 'state.json');
  }

  read(): RunState | undefined {
    if (!existsSync(this.stateFile)) return undefined;
    return JSON.parse(readFileSync(this.stateFile, 'utf8')) as RunState;
  }

  write(state: RunState): void {
    mkdirSync(this.path, { recursive: true });
    writeFileSync(this.stateFile, JSON.stringify(state, null, 2) + '\n');
  }

  /** Removes the state file and Consul's directory; logs stay for a post-mortem. */
  clear(): void {
    rmSync(this.stateFile, { force: true });
    rmSync(this.consulDir, { recursive: true, force: true });
  }
}

/** Whether a process with this pid exists (and is not a zombie we could reap). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
