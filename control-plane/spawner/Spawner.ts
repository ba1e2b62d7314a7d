import type { DeclaredNode } from '../reconcile/declaredNodes';

/** A node process as the spawner knows it. */
export interface SpawnedNode {
  id: string;
  pid: number;
  grpcPort: number;
  httpPort: number;
  log: string;
  /** Restarts of this node so far (recorded with it, so they survive a control-plane restart). */
  restarts?: number;
  /** Drained on request (recorded, so a control plane that takes over leaves it stopped). */
  drained?: boolean;
}

/**
 * Places node processes. `local` (child processes on this machine) is the one built; a
 * `kubernetes` spawner (a Deployment per role, delete a pod to restart) is not.
 */
export interface Spawner {
  /** The node's process if this spawner started it (now or before a control-plane restart) and it runs. */
  running(id: string): SpawnedNode | undefined;
  /** What this spawner recorded of the node, running or not; undefined if it never started it. */
  recorded(id: string): SpawnedNode | undefined;
  /** Records that the node is drained (or no longer is). */
  setDrained(id: string, drained: boolean): void;
  /** Drops the record of a node that is stopped and no longer declared (scaled down). */
  forget(id: string): void;
  /** Starts the node, recording `restarts`; its earlier ports are reused when free. */
  start(node: DeclaredNode, restarts: number): Promise<SpawnedNode>;
  /** SIGKILLs the node's process group at once (a hung node; `shoal kill`). */
  kill(id: string): void;
  /** SIGTERM, then SIGKILL after `graceMs`: the node drains and leaves Consul. */
  stop(id: string, graceMs: number): Promise<void>;
  /** Calls `listener` when a process this instance started exits. */
  onExit(listener: (id: string) => void): void;
}
