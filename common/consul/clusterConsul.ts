import type { ConsulConfig } from '../config/clusterConfig';
import { ConsulApi } from './ConsulApi';

/** The longest one Consul request may take on one address before the next is tried, ms. */
const TIMEOUT_PER_ADDRESS_MS = 1000;
/** A read one address has not answered in this long is also asked of the next (ConsulApi). */
const HEDGE_READS_AFTER_MS = 250;

/**
 * The cluster's Consul as every shoal process reaches it: its host's agent (`consul.address`)
 * first, then `consul.fallbackAddresses`. Decisions, promotions and leases wait on these
 * requests, so an agent whose link to a lost server hangs costs a fraction of a second (then a
 * server answers), not the agent's own 18 s RPC timeout.
 */
export function clusterConsul(config: ConsulConfig): ConsulApi {
  return new ConsulApi(config.address, {
    fallbackAddresses: config.fallbackAddresses,
    maxTimeoutMs: TIMEOUT_PER_ADDRESS_MS,
    hedgeReadsAfterMs: HEDGE_READS_AFTER_MS,
    token: config.token,
  });
}

/**
 * This host's agent alone (`consul.address`), with the ACL token: for what belongs to the agent
 * (a node's service registration and its checks) and for commands that wait as long as Consul takes.
 */
export function agentConsul(config: ConsulConfig): ConsulApi {
  return new ConsulApi(config.address, { token: config.token });
}
