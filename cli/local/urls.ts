import { isRunning } from '../../common/local/processRecord';
import type { RunState } from '../../common/local/RunDir';
import type { TransportSecurity } from '../../common/tls/TransportSecurity';
import type { NodeStatus } from './clusterStatus';

/** Where to look next, printed after `up` and `status`; addresses as Consul lists them, with the TLS flags that work. */
export function formatUrls(
  consulAddress: string,
  cluster: string,
  state: RunState | undefined,
  rows: NodeStatus[],
  transport: TransportSecurity,
  configPath?: string,
): string {
  const first = rows[0]?.member;
  const grpcurlTarget = first ? first.grpcAddress.replace(/^127\.0\.0\.1:/, 'localhost:') : 'localhost:8080';
  const grpcurl = `grpcurl ${transport.grpcurlFlags()} ${grpcurlTarget}`;
  const files = transport.files;
  const bufCurl = files
    ? `npx buf curl --protocol grpc --cacert ${files.caFile} --cert ${files.certFile} --key ${files.keyFile} https://${grpcurlTarget}`
    : `npx buf curl --protocol grpc --http2-prior-knowledge http://${grpcurlTarget}`;
  const lines = [
    ...(state?.monitor && isRunning(state.monitor) ? [`Dashboard:  ${state.monitor.url}`] : []),
    `Consul UI:  http://${consulAddress}/ui/dc1/services/shoal-${cluster}`,
    `grpcurl:    ${grpcurl} list`,
    `            ${grpcurl} shoal.v1.Discovery/ListMembers`,
    `buf curl:   ${bufCurl}/shoal.v1.Discovery/ListMembers`,
  ];
  if (first?.httpAddress) lines.push(`metrics:    curl http://${first.httpAddress.replace(/^127\.0\.0\.1:/, 'localhost:')}/metrics`);
  if (files && configPath) lines.push(`CLI:        export SHOAL_CONFIG=${configPath}   (the CLI then uses its tls section)`);
  lines.push(`events:     npx shoal events   (the control plane's decisions, live)`);
  if (state) lines.push(`logs:       make logs  (files in ${state.controlPlanes[0]?.log.replace(/\/[^/]*$/, '') ?? '.run/logs'})`);
  return lines.join('\n');
}
