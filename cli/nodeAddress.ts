import type { ConsulApi } from '../common/consul/ConsulApi';
import { clusterMembers } from '../common/cluster/memberFromConsul';
import { CliError } from './CliError';

/** A node's gRPC address from Consul, by node id. */
export async function nodeAddress(consul: ConsulApi, cluster: string, id: string): Promise<string> {
  const members = await clusterMembers(consul, cluster);
  const member = members.find((m) => m.id === id);
  if (!member) throw new CliError(`no node "${id}" in cluster ${cluster} (nodes: ${members.map((m) => m.id).join(', ') || 'none'})`);
  return member.grpcAddress;
}
