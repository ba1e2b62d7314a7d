import type { ConsulApi } from '../consul/ConsulApi';

/**
 * The control-plane instance that acts: the value of a Consul KV key locked with its session
 * (`shoal/<cluster>/control-plane/leader`). The lock, not the value, decides who leads; the
 * value tells others where to find the leader.
 */
export interface ControlPlaneLeader {
  id: string;
  /** host:port of its gRPC server (the Scale service). */
  grpcAddress: string;
  httpAddress: string;
  sinceUnixMs: number;
}

export function controlPlaneLockKey(cluster: string): string {
  return `shoal/${cluster}/control-plane/leader`;
}

/** The Consul service the control-plane instances of a cluster register as. */
export function controlPlaneServiceName(cluster: string): string {
  return `shoal-${cluster}-control-plane`;
}

/** The leader now, or undefined when no session holds the lock. */
export async function readControlPlaneLeader(consul: Pick<ConsulApi, 'kvGet'>, cluster: string): Promise<ControlPlaneLeader | undefined> {
  const { value } = await consul.kvGet(controlPlaneLockKey(cluster));
  if (!value?.session) return undefined;
  return parseControlPlaneLeader(value.value);
}

export function parseControlPlaneLeader(text: string): ControlPlaneLeader | undefined {
  try {
    const raw = JSON.parse(text) as Partial<ControlPlaneLeader>;
    return typeof raw.id === 'string' && typeof raw.grpcAddress === 'string'
      ? { id: raw.id, grpcAddress: raw.grpcAddress, httpAddress: raw.httpAddress ?? '', sinceUnixMs: raw.sinceUnixMs ?? 0 }
      : undefined;
  } catch {
    return undefined;
  }
}
