import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ClusterConfig } from '../../common/config/clusterConfig';
import { issueClusterCertificates, tlsSectionFor } from '../../common/tls/clusterCertificates';

/**
 * `shoal up --tls`: the cluster's certificates in <run dir>/certs (the CA reused when there,
 * every other certificate issued anew, valid for this machine's loopback names), and the
 * config with a tls section naming them, written to <run dir>/cluster.json for every process
 * `up` starts and for the CLI (SHOAL_CONFIG).
 * @returns the written config's path.
 */
export function prepareLocalTls(runDir: string, configPath: string | undefined, config: ClusterConfig, say: (line: string) => void): string {
  const certs = join(runDir, 'certs');
  issueClusterCertificates(config, certs, 365, { dns: ['localhost'], ips: ['127.0.0.1', '::1'] }, say);
  const raw = configPath ? (JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>) : {};
  // The copy lives elsewhere: what the original names relative to itself is made absolute.
  const events = raw.events as Record<string, unknown> | undefined;
  if (configPath && typeof events?.handlers === 'string') raw.events = { ...events, handlers: resolve(dirname(configPath), events.handlers) };
  const consul = raw.consul as Record<string, unknown> | undefined;
  if (configPath && typeof consul?.tokenFile === 'string') raw.consul = { ...consul, tokenFile: resolve(dirname(configPath), consul.tokenFile) };
  delete raw.$schema;
  raw.tls = tlsSectionFor(certs);
  const path = join(runDir, 'cluster.json');
  // It may hold tokens (consul.token, controlPlane.token, dashboard.token): readable by its owner alone.
  writeFileSync(path, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600 });
  return path;
}
