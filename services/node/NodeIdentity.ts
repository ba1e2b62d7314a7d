import type { RoleName } from '../../common/config/clusterConfig';

/** Who this node is. Addresses are the ones actually bound (and registered in Consul). */
export interface NodeIdentity {
  id: string;
  cluster: string;
  version: string;
  startedAtMs: number;
  /**
   * This start of the node: a fresh short id per process, so the leader record can tell a
   * restart of the primary (same id, same store, another incarnation) from the process it named.
   */
  incarnation: string;
  grpcAddress: string;
  httpAddress: string;
  /** The current role; it changes when a replica is promoted or a primary steps down. */
  role: RoleName;
}
