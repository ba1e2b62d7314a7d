import { type ClusterConfig, nodeIdsOf } from '../config/clusterConfig';
import type { ConsulApi } from '../consul/ConsulApi';

/**
 * The state nodes a cluster declares, as its control-plane leader publishes them to Consul KV at
 * `shoal/<cluster>/topology`: what every role change counts its quorum against, whoever makes it
 * (the control plane, `shoal failover`/`switchover` from any machine, a Scale RPC). A replica
 * that Consul dropped from its catalog is still one that may hold acknowledged writes.
 */
export interface DeclaredTopology {
  cluster: string;
  /** The config's primary (the node that bootstraps the first term). */
  primaryId: string;
  replicaIds: string[];
  /** sync.minAcks. */
  minAcks: number;
  writtenAtMs: number;
  /** The control-plane instance that wrote it. */
  writtenBy: string;
}

export function topologyKey(cluster: string): string {
  return `shoal/${cluster}/topology`;
}

/** The topology a config declares. */
export function topologyOf(config: ClusterConfig, writtenBy: string): DeclaredTopology {
  const ids = (role: 'primary' | 'replica') => config.nodes.filter((t) => t.type === role).flatMap(nodeIdsOf);
  return {
    cluster: config.name,
    primaryId: ids('primary')[0] ?? '',
    replicaIds: ids('replica'),
    minAcks: config.sync.minAcks,
    writtenAtMs: Date.now(),
    writtenBy,
  };
}

/** Every state node of a topology: its primary and replicas. */
export function stateNodeIdsOf(t: DeclaredTopology): string[] {
  return [t.primaryId, ...t.replicaIds].filter((id) => id !== '');
}

/** Writes the topology, replacing what was there. */
export async function publishTopology(consul: Pick<ConsulApi, 'kvPut'>, topology: DeclaredTopology): Promise<void> {
  await consul.kvPut(topologyKey(topology.cluster), JSON.stringify(topology));
}

/**
 * The published topology, or undefined when none is.
 * @throws when the stored value is not a topology (naming the key).
 */
export async function readTopology(consul: Pick<ConsulApi, 'kvGet'>, cluster: string): Promise<DeclaredTopology | undefined> {
  const { value } = await consul.kvGet(topologyKey(cluster));
  if (!value) return undefined;
  return parseTopology(value.value, topologyKey(cluster));
}

function parseTopology(text: string, key: string): DeclaredTopology {
  let raw: Partial<DeclaredTopology>;
  try {
    raw = JSON.parse(text) as Partial<DeclaredTopology>;
  } catch {
    throw new Error(`malformed declared topology at ${key} in Consul: ${text}`);
  }
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (typeof raw.cluster !== 'string' || typeof raw.primaryId !== 'string' || !strings(raw.replicaIds) || typeof raw.minAcks !== 'number') {
    throw new Error(`malformed declared topology at ${key} in Consul: ${text}`);
  }
  return {
    cluster: raw.cluster,
    primaryId: raw.primaryId,
    replicaIds: raw.replicaIds,
    minAcks: raw.minAcks,
    writtenAtMs: raw.writtenAtMs ?? 0,
    writtenBy: raw.writtenBy ?? '',
  };
}
