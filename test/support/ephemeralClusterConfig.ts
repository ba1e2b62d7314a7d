import { writeFileSync } from 'node:fs';

export interface EphemeralCluster {
  /** @default 2 */
  replicas?: number;
  /** @default 2 */
  workers?: number;
  /** Further top-level sections of the config (sync, events, scaling, controlPlane, …). */
  sections?: Record<string, unknown>;
}

/**
 * Writes a cluster config declaring a primary, replicas and workers (the seed's five nodes by
 * default), and the control plane, on OS-chosen ports (port 0), so a cluster started from it
 * never collides with another on this machine. Returns `path`.
 */
export function writeEphemeralClusterConfig(path: string, name: string, cluster: EphemeralCluster = {}): string {
  const { controlPlane, ...sections } = cluster.sections ?? {};
  writeFileSync(
    path,
    JSON.stringify({
      name,
      nodes: [
        { id: 'primary', type: 'primary', config: { port: 0 } },
        { id: 'replica', type: 'replica', count: cluster.replicas ?? 2, config: { port: 0 } },
        { id: 'worker', type: 'worker', count: cluster.workers ?? 2, config: { port: 0 } },
      ],
      ...sections,
      controlPlane: { ...(controlPlane as Record<string, unknown> | undefined), port: 0 },
    }),
  );
  return path;
}
