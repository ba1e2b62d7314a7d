/** The three roles a node can have. */
export type RoleName = 'primary' | 'replica' | 'worker';
export const ROLE_NAMES = ['primary', 'replica', 'worker'] as const satisfies readonly RoleName[];

/** A node id (and a cluster name): a DNS label, as Consul expects. */
export const ID_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Whether `id` is a valid node id: lowercase letters, digits and dashes, 1–63 long (a DNS label, as Consul expects). */
export function isValidNodeId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/**
 * The node ids a template declares: the primary's id, else `<id>-1` … `<id>-<count>` (a worker
 * template of count 1 gives worker-1, so the autoscaler's worker-2 sits beside it).
 */
export function nodeIdsOf(template: { id: string; type: RoleName; count: number }): string[] {
  if (template.type === 'primary') return [template.id];
  return Array.from({ length: template.count }, (_, i) => `${template.id}-${i + 1}`);
}

/** Every node id the config declares, in its order. */
export function declaredNodeIds(config: { nodes: readonly { id: string; type: RoleName; count: number }[] }): string[] {
  return config.nodes.flatMap(nodeIdsOf);
}
