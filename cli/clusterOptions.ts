import type { ConsulApi } from '../common/consul/ConsulApi';
import { checkConsulAccess } from '../common/consul/checkConsulAccess';
import { agentConsul, clusterConsul } from '../common/consul/clusterConsul';
import type { ClusterConfig } from '../common/config/clusterConfig';
import { hostPort } from '../common/config/fields';
import { loadClusterConfig } from '../common/config/loadClusterConfig';
import { ConfigError } from '../common/config/ConfigError';
import { TransportSecurity } from '../common/tls/TransportSecurity';
import { CliError } from './CliError';

/** The options every command that talks to a running cluster takes. */
export const CLUSTER_OPTIONS = {
  config: { type: 'string' },
  cluster: { type: 'string' },
  consul: { type: 'string' },
} as const;

export const CLUSTER_OPTIONS_HELP = `  --config FILE   cluster config: the cluster name, Consul's address, the tls section (default:
                  SHOAL_CONFIG, else built-in)
  --cluster NAME  cluster name, overrides the config's (default: local)
  --consul HOST:PORT
                  Consul HTTP API to ask, best this host's agent; wins over CONSUL_HTTP_ADDR and
                  the config's consul.address (default: 127.0.0.1:8500)`;

/**
 * Consul and the cluster name from --config (or SHOAL_CONFIG)/--cluster/--consul and
 * CONSUL_HTTP_ADDR (--consul wins, then CONSUL_HTTP_ADDR, then the config); fails if Consul is away.
 */
export async function connectCluster(values: {
  config?: string;
  cluster?: string;
  consul?: string;
}): Promise<{ consul: ConsulApi; cluster: string; config: ClusterConfig; configPath?: string; transport: TransportSecurity }> {
  const flag = values.consul === undefined ? undefined : consulFlag(values.consul);
  // With --consul, CONSUL_HTTP_ADDR is not read at all (a malformed one must not stop the command).
  const configPath = values.config ?? (process.env.SHOAL_CONFIG || undefined);
  const config = loadClusterConfig(configPath, flag ? { ...process.env, CONSUL_HTTP_ADDR: undefined } : process.env);
  if (flag) config.consul.address = flag;
  // With no other address to move on to, a slow agent (a loaded machine's can take over a second)
  // is waited for as a command may, not cut off at clusterConsul's 1 s per address.
  const consul = config.consul.fallbackAddresses.length > 0 ? clusterConsul(config.consul) : agentConsul(config.consul);
  if (!(await consul.isReachable())) {
    const fallbacks = config.consul.fallbackAddresses.length > 0 ? ` nor at ${config.consul.fallbackAddresses.join(', ')} (consul.fallbackAddresses)` : '';
    throw new CliError(`cannot reach Consul at ${config.consul.address}${fallbacks}; is the cluster up? (make up)`);
  }
  try {
    await checkConsulAccess(consul, config.consul, values.cluster ?? config.name);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
  return { consul, cluster: values.cluster ?? config.name, config, configPath, transport: operatorTransport(config) };
}

/** The CLI's TLS: the config's tls section with the `operator` certificate (`{name}` = operator). */
export function operatorTransport(config: ClusterConfig): TransportSecurity {
  try {
    return TransportSecurity.of(config.tls, 'operator');
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`${err.message} (the CLI uses the operator certificate)`);
    throw err;
  }
}

/** --consul as host:port (an http:// prefix dropped, as Consul's tools take it). */
export function consulFlag(value: string): string {
  const parsed = hostPort().safeParse(value);
  if (!parsed.success) throw new CliError(`--consul must be HOST:PORT of Consul's HTTP API, e.g. 127.0.0.1:8500 (got "${value}")`);
  return parsed.data;
}
