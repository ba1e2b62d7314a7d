import { type ClusterConfig, type NodeTemplate, nodeIdsOf } from '../../common/config/clusterConfig';
import { isPortFree } from '../../common/net/isPortFree';

export interface PlannedNode {
  id: string;
  role: NodeTemplate['type'];
  grpcPort: number;
  httpPort: number;
}

/**
 * Gives every declared node distinct ports: each instance takes the first free port at or
 * above its template's base that no earlier node took (the seed's 8080/8081/8082 become 8080,
 * 8081-8082, 8083-8084 for 1 primary, 2 replicas, 2 workers). A base of 0 stays 0: the node
 * lets the OS choose. Nodes still search upward themselves if a port is taken meanwhile.
 */
export async function planPorts(config: ClusterConfig, host = '127.0.0.1'): Promise<PlannedNode[]> {
  const taken = new Set<number>();
  const take = async (base: number): Promise<number> => {
    if (base === 0) return 0;
    for (let port = base; port < Math.min(65536, base + 200); port++) {
      if (!taken.has(port) && (await isPortFree(port, host))) {
        taken.add(port);
        return port;
      }
    }
    throw new Error(`no free port from ${base} to ${base + 199} on ${host}`);
  };
  const planned: PlannedNode[] = [];
  for (const template of config.nodes) {
    for (const id of nodeIdsOf(template)) {
      planned.push({ id, role: template.type, grpcPort: await take(template.config.port), httpPort: 0 });
    }
  }
  let i = 0;
  for (const template of config.nodes) {
    for (let n = 0; n < template.count; n++) planned[i++].httpPort = await take(template.config.httpPort);
  }
  return planned;
}
