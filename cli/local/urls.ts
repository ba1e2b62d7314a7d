import type { RunState } from './RunDir';

/** Where to look next, printed after `up` and `status`. */
export function formatUrls(consulAddress: string, cluster: string, state: RunState | undefined): string {
  const primary = state?.nodes.find((n) => n.role === 'primary');
  const grpcurlTarget = primary ? `localhost:${primary.grpcPort}` : 'localhost:8080';
  const lines = [
    `Consul UI:  http://${consulAddress}/ui/dc1/services/shoal-${cluster}`,
    `grpcurl:    grpcurl -plaintext ${grpcurlTarget} list`,
    `            grpcurl -plaintext ${grpcurlTarget} shoal.v1.Discovery/ListMembers`,
  ];
  if (primary) lines.push(`metrics:    curl http://localhost:${primary.httpPort}/metrics`);
  if (state) lines.push(`logs:       make logs  (files in ${state.nodes[0] ? state.nodes[0].log.replace(/\/[^/]*$/, '') : '.run/logs'})`);
  return lines.join('\n');
}
