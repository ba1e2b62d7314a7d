import { credentials } from '@grpc/grpc-js';
import { ScaleClient } from '../gen/shoal/v1/scale';
import type { ConsulApi } from '../common/consul/ConsulApi';
import { type ControlPlaneLeader, readControlPlaneLeader } from '../common/cluster/controlPlaneLeader';

/** A Scale client on the control-plane leader, or undefined when none holds the lock. */
export async function leaderClient(consul: ConsulApi, cluster: string): Promise<{ client: ScaleClient; leader: ControlPlaneLeader } | undefined> {
  const leader = await readControlPlaneLeader(consul, cluster);
  return leader && { client: new ScaleClient(leader.grpcAddress, credentials.createInsecure()), leader };
}
