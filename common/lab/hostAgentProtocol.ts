import type { RoleName } from '../config/nodeIds';

/**
 * The wire contract of a lab host agent (lab/agent/): a small HTTP/JSON server on each lab
 * host's own address that starts, stops and lists the shoal node processes of that host. The
 * control plane's lab placement reaches it over the lab network, so a partition cuts the
 * control plane off from a host's agent as it would from a real machine's.
 *
 *   GET    /v1/processes              → 200 ProcessList
 *   POST   /v1/processes              StartRequest → 201 AgentProcess; 409 when it runs already
 *   POST   /v1/processes/<id>/stop    StopRequest → 200 AgentProcess once it has exited; 404 unknown
 *   PATCH  /v1/processes/<id>         { drained: boolean } → 200 AgentProcess; 404 unknown
 *   DELETE /v1/processes/<id>         → 204 (its record is forgotten); 409 while it runs
 *
 * Errors are `{ "error": "<why>" }` with the status above (400 for a malformed request).
 */
export const HOST_AGENT_PATH = '/v1/processes';

/** A node process the agent started on its host, running or not. */
export interface AgentProcess {
  id: string;
  role: RoleName;
  /** The host's name (h1, h2…). */
  host: string;
  pid: number;
  running: boolean;
  /** host:port others reach its gRPC server at (the host's lab address). */
  grpcAddress: string;
  grpcPort: number;
  httpPort: number;
  /** Its log file, on the machine that runs the lab. */
  log: string;
  startedAtMs: number;
  /** When it exited, ms; absent while it runs. */
  exitedAtMs?: number;
  /** Its exit code, or the signal that ended it. */
  exit?: string;
  restarts: number;
  drained: boolean;
}

export interface ProcessList {
  host: string;
  processes: AgentProcess[];
}

/** What to start: the agent adds the host's address, Consul agent, cluster config and data dir. */
export interface StartRequest {
  id: string;
  role: RoleName;
  /** First ports to try on the host's address (the next free ones above are taken); 0 = any. */
  grpcPort: number;
  httpPort: number;
  restarts: number;
}

/** Drain and kill after `graceMs`, or kill at once (`kill: true`). */
export interface StopRequest {
  graceMs?: number;
  kill?: boolean;
}
