import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../common/paths';
import { loadClusterConfig } from '../common/config/loadClusterConfig';
import { type LabHost } from './layout';
import { tlsSectionFor } from '../common/tls/clusterCertificates';
import { labConsulTokenFiles } from './consul/labConsulSecurity';

type RawConfig = {
  name?: string;
  consul?: Record<string, unknown>;
  placement?: unknown;
  tls?: unknown;
  nodes?: { type: string; config?: Record<string, unknown> }[];
};

/** Where a lab's TLS material lives. */
export function labCertsDir(runDir: string): string {
  return join(runDir, 'certs');
}

/**
 * The declared cluster with the lab's placement: the host agents by host name, the primary
 * pinned to h1, the replicas to h2 and h3 (so isolating h1 takes the primary and nothing
 * else), workers anywhere, and a Consul server as the config's address (each process still
 * gets its own host's agent with --consul) with the servers as every process's fallbacks, and
 * a tls section naming <run dir>/certs, and the shoal token of the lab's Consul. Written to <run dir>/cluster.json and checked.
 * @returns the file's path and the cluster's name.
 */
export function writeLabClusterConfig(
  declared: string | undefined,
  runDir: string,
  hosts: LabHost[],
  overrides: Record<string, unknown> = {},
): { path: string; cluster: string } {
  const raw = { ...(JSON.parse(readFileSync(declared ?? join(REPO_ROOT, 'deploy', 'local', 'cluster.json'), 'utf8')) as RawConfig), ...overrides };
  delete (raw as Record<string, unknown>).$schema;
  const servers = hosts.filter((h) => h.consul === 'server');
  // Every process falls back to the servers when its own host's agent hangs on a lost one.
  raw.consul = {
    ...raw.consul,
    address: servers[0].consulHttp,
    fallbackAddresses: servers.map((s) => s.consulHttp),
    // The lab's Consul runs with ACLs: the token makeLabConsulSecrets wrote.
    token: undefined,
    tokenFile: labConsulTokenFiles(runDir).shoal,
  };
  raw.placement = { kind: 'lab', agents: Object.fromEntries(hosts.map((h) => [h.name, h.agent])) };
  const pins: Record<string, string[] | undefined> = { primary: ['h1'], replica: ['h2', 'h3'] };
  raw.nodes = (raw.nodes ?? []).map((n) => ({ ...n, config: { ...n.config, hosts: pins[n.type] ?? n.config?.hosts } }));
  // The lab always runs with mutual TLS: certificates made by upLab in <run dir>/certs.
  raw.tls = tlsSectionFor(labCertsDir(runDir));
  const path = join(runDir, 'cluster.json');
  writeFileSync(path, JSON.stringify(raw, null, 2) + '\n');
  // Refuses a config the nodes and control planes would refuse, before anything starts them.
  const config = loadClusterConfig(path, {});
  return { path, cluster: config.name };
}
