import { writeFileSync } from 'node:fs';

/**
 * Writes a cluster config declaring the seed's five nodes, and the control plane, on OS-chosen
 * ports (port 0), so a cluster started from it never collides with another on this machine. Returns `path`.
 */
export function writeEphemeralClusterConfig(path: string, name: string): string {
  writeFileSync(
    path,
    JSON.stringify({
      name,
      nodes: [
        { id: 'primary', type: 'primary', config: { port: 0 } },
        { id: 'replica', type: 'replica', count: 2, config: { port: 0 } },
        { id: 'worker', type: 'worker', count: 2, config: { port: 0 } },
      ],
      controlPlane: { port: 0 },
    }),
  );
  return path;
}
