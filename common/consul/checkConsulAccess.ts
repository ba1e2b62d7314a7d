import { ConfigError } from '../config/ConfigError';
import type { ConsulConfig } from '../config/clusterConfig';
import { tokenSource } from '../config/loadClusterConfig';
import { leaderKey } from '../cluster/leaderRecord';
import { type ConsulApi, ConsulRefused } from './ConsulApi';

/**
 * What a process checks before it starts: that Consul's ACLs let it read the cluster's keys
 * with the token it was given. A token Consul does not know, or none where ACLs deny anonymous
 * reads, then stops it at start naming where the token comes from, instead of a node that
 * serves but never registers. A Consul that cannot be reached says nothing about the token:
 * the process starts and waits for it as it always has.
 * @throws ConfigError naming consul.token (or the variable or file it came from).
 */
export async function checkConsulAccess(consul: ConsulApi, config: ConsulConfig, cluster: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    await consul.kvGet(leaderKey(cluster), { timeoutMs: 2000 });
  } catch (err) {
    if (err instanceof ConsulRefused) throw new ConfigError(tokenSource(config, env), err.problem);
  }
}
