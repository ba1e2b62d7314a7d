import { type ConsulApi, serviceNameOf } from '../common/consul/ConsulApi';
import { memberFromConsul } from '../common/cluster/memberFromConsul';
import { CliError } from './CliError';

/** A node's gRPC address from Consul, by node id. */
export async function nodeAddress(consul: ConsulApi, cluster: string, id: string): Promise<string> {
  const { value } = await consul.healthService(serviceNameOf(cluster));
  const members = value.map(memberFromConsul);
  const member = members.find((m) => m.id === id);
  if (!member) throw new CliError(`no node "${id}" in cluster ${cluster} (nodes: ${members.map((m) => m.id).join(', ') || 'none'})`);
  return member.grpcAddress;
}
