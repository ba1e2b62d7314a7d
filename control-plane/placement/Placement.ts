import type { DeclaredNode } from '../reconcile/declaredNodes';

/** What a placement keeps of a node it started; kept across control-plane restarts. */
export interface PlacedNode {
  id: string;
  /** Where it runs, for people (a process id on its machine); nothing is signalled by it outside the placement. */
  pid: number;
  grpcPort: number;
  httpPort: number;
  /** Where its output goes. */
  log: string;
  /** Restarts of this node so far (recorded with it, so they survive a control-plane restart). */
  restarts?: number;
  /** Drained on request (recorded, so a control plane that takes over leaves it stopped). */
  drained?: boolean;
}

/** A node process a placement has just started. */
export interface StartedNodeProcess extends PlacedNode {
  /** The address its gRPC server will listen on, to follow its status stream before Consul lists it. */
  grpcAddress: string;
  /** Resolves once this process has exited, however it ended; never rejects. */
  exited: Promise<void>;
}

/** How to stop a node: let it drain, killed if it is still there after `graceMs`; or kill it at once. */
export type StopHow = { graceMs: number } | 'kill';

/**
 * A placement of nodes onto machines: it starts node processes, stops them, and knows what runs
 * and what it recorded. `local` (child processes on this machine, LocalPlacement) is the one
 * built; others (hosts reached over the network, Kubernetes, processes owned by systemd or a
 * person) implement the same few calls.
 */
export interface Placement {
  /** The node's process if this placement started it (now or before a control-plane restart) and it runs. */
  running(id: string): PlacedNode | undefined;
  /** What this placement recorded of the node, running or not; undefined if it never started it. */
  recorded(id: string): PlacedNode | undefined;
  /** Records that the node is drained (or no longer is). */
  setDrained(id: string, drained: boolean): void;
  /** Drops the record of a node that is stopped and no longer declared (scaled down). */
  forget(id: string): void;
  /**
   * Starts the node, recording `restarts`; its earlier ports are reused when free.
   * @throws when the node runs already, or no port is free.
   */
  start(node: DeclaredNode, restarts: number): Promise<StartedNodeProcess>;
  /**
   * Stops the node's process: drained (it leaves Consul) and killed after the grace, or killed
   * at once (a hung node). Resolves once it has exited; at once if it does not run.
   * @throws when a killed process has still not exited after a few seconds.
   */
  stop(id: string, how: StopHow): Promise<void>;
}
