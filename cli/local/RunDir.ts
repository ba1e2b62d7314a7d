import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../common/paths';
import type { ProcessRecord } from './processRecord';

/** A process `shoal up` started. */
export interface StartedProcess extends ProcessRecord {
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

  /** The nodes' state stores. */
  get dataDir(): string {
    return join(this.path, 'data');
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

  /**
   * Removes the state file, Consul's directory and the nodes' state stores (a local cluster's
   * data lives as long as the cluster: Consul's leader record goes with it); logs stay.
   */
  clear(): void {
    rmSync(this.stateFile, { force: true });
    rmSync(this.consulDir, { recursive: true, force: true });
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** The run directory of `shoal up`: $SHOAL_RUN_DIR, else .run in the checkout. */
export function defaultRunDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SHOAL_RUN_DIR ?? join(REPO_ROOT, '.run');
}
