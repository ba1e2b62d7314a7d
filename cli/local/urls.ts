import { isRunning } from '../../common/local/processRecord';
import type { RunState } from '../../common/local/RunDir';
import type { NodeStatus } from './clusterStatus';

/** Where to look next, printed after `up` and `status`; addresses as Consul lists them. */
export function formatUrls(consulAddress: string, cluster: string, state: RunState | undefined, rows: NodeStatus[]): string {
  const first = rows[0]?.member;
  const grpcurlTarget = first ? first.grpcAddress.replace(/^127\.0\.0\.1:/, 'localhost:') : 'localhost:8080';
  const lines = [
    ...(state?.monitor && isRunning(state.monitor) ? [`Dashboard:  ${state.monitor.url}`] : []),
    `Consul UI:  http://${consulAddress}/ui/dc1/services/shoal-${cluster}`,
    `grpcurl:    grpcurl -plaintext ${grpcurlTarget} list`,
    `            grpcurl -plaintext ${grpcurlTarget} shoal.v1.Discovery/ListMembers`,
  ];
  if (first?.httpAddress) lines.push(`metrics:    curl http://${first.httpAddress.replace(/^127\.0\.0\.1:/, 'localhost:')}/metrics`);
  lines.push(`events:     npx shoal events   (the control plane's decisions, live)`);
  if (state) lines.push(`logs:       make logs  (files in ${state.controlPlanes[0]?.log.replace(/\/[^/]*$/, '') ?? '.run/logs'})`);
  return lines.join('\n');
}
