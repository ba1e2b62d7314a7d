import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../common/paths';
import type { ProcessRecord } from './processRecord';

/** A background process of a local cluster, with the file its output goes to. */
export interface StartedProcess extends ProcessRecord {
  log: string;
}

/** A node the control plane's local placement started (one file per node under nodes/). */
export interface StartedNode extends StartedProcess {
  id: string;
  role: string;
  grpcPort: number;
  httpPort: number;
  /** Restarts so far, kept here so a control plane that takes over goes on counting. */
  restarts?: number;
  /** Drained on request: no control plane starts it again until it is restarted on request. */
  drained?: boolean;
}

/** A control-plane instance `shoal up` started. */
export interface StartedControlPlane extends StartedProcess {
  id: string;
}

/** The monitor (dashboard) `shoal up` started. */
export interface StartedMonitor extends StartedProcess {
  url: string;
}

/** What `shoal up` records so `down`, `status` and a second `up` know what runs. */
export interface RunState {
  cluster: string;
  startedAt: string;
  consul: { address: string; uiUrl: string; dir: string; process?: StartedProcess };
  controlPlanes: StartedControlPlane[];
  monitor?: StartedMonitor;
}

/**
 * The run directory of a local cluster (default `.run/` in the checkout): state.json (Consul
 * and the control planes, written by `shoal up`), nodes/<id>.json (written by the control
 * plane's local placement, so a restarted control plane re-adopts what runs), logs/, the Consul
 * dev agent's directory and the nodes' state stores.
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

  get nodesDir(): string {
    return join(this.path, 'nodes');
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
    writeAtomically(this.stateFile, state);
  }

  /** The nodes the local placement recorded, running or not. */
  readNodes(): StartedNode[] {
    if (!existsSync(this.nodesDir)) return [];
    return readdirSync(this.nodesDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(this.nodesDir, f), 'utf8')) as StartedNode);
  }

  /** Records a node the placement started, replacing its earlier record. */
  writeNode(node: StartedNode): void {
    mkdirSync(this.nodesDir, { recursive: true });
    writeAtomically(join(this.nodesDir, `${node.id}.json`), node);
  }

  removeNode(id: string): void {
    rmSync(join(this.nodesDir, `${id}.json`), { force: true });
  }

  /**
   * Removes the state file, the node records, Consul's directory and the nodes' state stores (a
   * local cluster's data lives as long as the cluster: Consul's leader record goes with it);
   * logs stay.
   */
  clear(): void {
    rmSync(this.stateFile, { force: true });
    rmSync(this.nodesDir, { recursive: true, force: true });
    rmSync(this.consulDir, { recursive: true, force: true });
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** The run directory of `shoal up`: $SHOAL_RUN_DIR, else .run in the checkout. */
export function defaultRunDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SHOAL_RUN_DIR ?? join(REPO_ROOT, '.run');
}

/** Writes JSON so a reader (another control plane, `shoal down`) never sees half a file. */
function writeAtomically(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}
