import { ConsulApi } from '../common/consul/ConsulApi';
import type { ClusterConfig } from '../common/config/clusterConfig';
import { loadClusterConfig } from '../common/config/loadClusterConfig';
import { CliError } from './CliError';

/** The options every command that talks to a running cluster takes. */
export const CLUSTER_OPTIONS = {
  config: { type: 'string' },
  cluster: { type: 'string' },
} as const;

export const CLUSTER_OPTIONS_HELP = `  --config FILE   cluster config (default: built-in; the cluster name and Consul address come from it)
  --cluster NAME  cluster name, overrides the config's (default: local)`;

/** Consul and the cluster name from --config/--cluster and CONSUL_HTTP_ADDR; fails if Consul is away. */
export async function connectCluster(values: { config?: string; cluster?: string }): Promise<{ consul: ConsulApi; cluster: string; config: ClusterConfig }> {
  const config = loadClusterConfig(values.config);
  const consul = new ConsulApi(config.consul.address);
  if (!(await consul.isReachable())) throw new CliError(`cannot reach Consul at ${config.consul.address}; is the cluster up? (make up)`);
  return { consul, cluster: values.cluster ?? config.name, config };
}
