import type { DeclaredNode } from '../reconcile/declaredNodes';

/** What a placement keeps of a node it started; kept across control-plane restarts. */
export interface PlacedNode {
  id: string;
  /** The placement host it runs on (a lab host's name); '' for this machine (the local placement). */
  host: string;
  /** Where it runs, for people (a process id on its machine); nothing is signalled by it outside the placement. */
  pid: number;
  grpcPort: number;
  httpPort: number;
  /** host:port others dial its gRPC server at; '' while the OS has not chosen its port yet (port 0). */
  grpcAddress: string;
  /** Where its output goes. */
  log: string;
  /** Restarts of this node so far (recorded with it, so they survive a control-plane restart). */
  restarts?: number;
  /** Drained on request (recorded, so a control plane that takes over leaves it stopped). */
  drained?: boolean;
}

/** A node process a placement has just started. */
export interface StartedNodeProcess extends PlacedNode {
  /** Resolves once this process has exited, however it ended (or, across hosts, once its host says so); never rejects. */
  exited: Promise<void>;
}

/**
 * What a placement knows of a node's process, in three values. Only `stopped` is positive
 * knowledge that no copy runs; a node is started only then.
 * - running: its process runs (the record says where).
 * - stopped: the placement's host said it is not running, or the placement never started it (no record).
 * - unknown: it is recorded on a host that cannot be reached now (or a host not listed yet may hold it); it may run or not.
 */
export type NodeKnowledge =
  | { state: 'running'; record: PlacedNode }
  | { state: 'stopped'; record: PlacedNode | undefined }
  | { state: 'unknown'; record: PlacedNode | undefined; since: number; reason: string };

/** How to stop a node: let it drain, killed if it is still there after `graceMs`; or kill it at once. */
export type StopHow = { graceMs: number } | 'kill';

/**
 * A placement of nodes onto machines: it starts node processes, stops them, and knows what runs
 * and what it recorded. `local` (child processes on this machine, LocalPlacement) and `lab`
 * (hosts reached over the network through their host agents, LabPlacement) are built; others
 * (Kubernetes, processes owned by systemd) implement the same few calls.
 */
export interface Placement {
  /** What is known of the node's process now (see NodeKnowledge); never waits on the network. */
  knowledge(id: string): NodeKnowledge;
  /** Records that the node is drained (or no longer is). @throws when its host cannot be reached. */
  setDrained(id: string, drained: boolean): Promise<void>;
  /** Drops the record of a node that is stopped and no longer declared (scaled down). */
  forget(id: string): Promise<void>;
  /**
   * Gives up a node recorded on a host that cannot be reached: its record is dropped now (so
   * the node is known stopped and may be started elsewhere), and once the host answers again
   * its process there is killed and forgotten, so two live processes never share an id.
   * Nothing to do for a placement that is never unknown.
   */
  abandon(id: string): void;
  /**
   * Starts the node, recording `restarts`; its earlier ports are reused when free.
   * @throws when the node runs (or may run) already, or no host or port qualifies.
   */
  start(node: DeclaredNode, restarts: number): Promise<StartedNodeProcess>;
  /**
   * Stops the node's process: drained (it leaves Consul) and killed after the grace, or killed
   * at once (a hung node). Resolves once it has exited; at once if it does not run.
   * @throws when a killed process has still not exited after a few seconds, or its host cannot be reached.
   */
  stop(id: string, how: StopHow): Promise<void>;
}
