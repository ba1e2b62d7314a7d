import { type ClusterConfig, nodeIdsOf, type RoleName } from '../../common/config/clusterConfig';

/** One node the cluster config declares. */
export interface DeclaredNode {
  id: string;
  role: RoleName;
  /** The template's base ports (instances search upward from them). */
  basePort: number;
  baseHttpPort: number;
  /** The placement hosts it may run on (the template's config.hosts); empty: any. */
  hosts: string[];
}

/** Every node the config declares, in the config's order (primary first, as the seed lists them). */
export function declaredNodes(config: ClusterConfig): DeclaredNode[] {
  return config.nodes.flatMap((template) =>
    nodeIdsOf(template).map((id) => ({
      id,
      role: template.type,
      basePort: template.config.port,
      baseHttpPort: template.config.httpPort,
      hosts: template.config.hosts ?? [],
    })),
  );
}
