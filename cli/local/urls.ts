import type { RunState, StartedNode } from '../../common/local/RunDir';

/** Where to look next, printed after `up` and `status`. */
export function formatUrls(consulAddress: string, cluster: string, state: RunState | undefined, nodes: StartedNode[]): string {
  const primary = nodes.find((n) => n.role === 'primary');
  const grpcurlTarget = primary ? `localhost:${primary.grpcPort}` : 'localhost:8080';
  const lines = [
    `Consul UI:  http://${consulAddress}/ui/dc1/services/shoal-${cluster}`,
    `grpcurl:    grpcurl -plaintext ${grpcurlTarget} list`,
    `            grpcurl -plaintext ${grpcurlTarget} shoal.v1.Discovery/ListMembers`,
  ];
  if (primary) lines.push(`metrics:    curl http://localhost:${primary.httpPort}/metrics`);
  const controlPlane = state?.controlPlanes[0];
  if (controlPlane) lines.push(`events:     npx shoal events   (the control plane's decisions, live)`);
  if (state) lines.push(`logs:       make logs  (files in ${(nodes[0] ?? controlPlane)?.log.replace(/\/[^/]*$/, '') ?? '.run/logs'})`);
  return lines.join('\n');
}
