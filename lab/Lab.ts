import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HostAgentClient } from '../control-plane/placement/HostAgentClient';
import { REPO_ROOT } from '../common/paths';
import { waitFor } from '../common/time/waitFor';
import { createLabShoalToken, labConsulTokenFiles, labMasterToken, makeLabConsulSecrets } from './consul/labConsulSecurity';
import { startLabConsul, waitForLabConsul } from './consul/startLabConsul';
import { checkLabRequirements, namespaces } from './ip';
import { labCertsDir, writeLabClusterConfig } from './labClusterConfig';
import { issueClusterCertificates } from '../common/tls/clusterCertificates';
import { loadClusterConfig } from '../common/config/loadClusterConfig';
import {
  AGENT_PORT,
  CONSUL_HTTP_PORT,
  bridgeNamespace,
  checkPrefix,
  consulRole,
  hostAddress,
  hostDir,
  hostName,
  hostNamespace,
  type LabHost,
  type LabLayout,
  machineLinks,
  readLayout,
  subnetBase,
  writeLayout,
} from './layout';
import { buildNetwork } from './network/buildNetwork';
import { removeByPrefix } from './network/removeByPrefix';
import { startInNamespace } from './startInNamespace';

export interface LabOptions {
  /** Number of hosts, at least 3 (Consul needs three servers). */
  hosts: number;
  /** The lab's name, which prefixes every namespace and link it makes. */
  prefix: string;
  subnet: string;
  runDir: string;
  /** The declared cluster (default deploy/local/cluster.json). */
  config?: string;
  /** Top-level fields that replace the declared config's (tests: faster timings). */
  configOverrides?: Record<string, unknown>;
  /** Start the two control planes (which place the cluster through the agents). */
  controlPlanes: boolean;
  /** Port of the dashboard on 127.0.0.1; 0: none. */
  dashboardPort: number;
  consulTimeoutMs?: number;
  log?: (line: string) => void;
}

/** A lab of this prefix is up: its namespaces exist. */
export async function labExists(prefix: string): Promise<boolean> {
  return (await namespaces()).includes(bridgeNamespace(prefix));
}

/**
 * Builds a lab: host namespaces on a private bridge, a Consul agent on each (three servers),
 * a host agent on each, then (with `controlPlanes`) two control planes on two hosts and the
 * dashboard here. Writes lab.json as it goes, so `down` and the fault commands find it; a
 * failure part-way removes what was made.
 */
export async function upLab(opts: LabOptions): Promise<LabLayout> {
  await checkLabRequirements();
  const prefix = checkPrefix(opts.prefix);
  subnetBase(opts.subnet);
  if (!Number.isInteger(opts.hosts) || opts.hosts < 3 || opts.hosts > 20)
    throw new Error(`--hosts must be from 3 to 20: Consul needs three servers (got ${opts.hosts})`);
  if (await labExists(prefix))
    throw new Error(`lab "${prefix}" is already up (namespace ${bridgeNamespace(prefix)} exists): \`shoal lab down --name ${prefix}\` removes it`);
  const log = opts.log ?? (() => undefined);
  const runDir = resolve(opts.runDir);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const hosts: LabHost[] = Array.from({ length: opts.hosts }, (_, i) => {
    const address = hostAddress(opts.subnet, i);
    return {
      name: hostName(i),
      namespace: hostNamespace(prefix, hostName(i)),
      address,
      consul: consulRole(i, opts.hosts),
      consulHttp: `${address}:${CONSUL_HTTP_PORT}`,
      agent: `${address}:${AGENT_PORT}`,
    };
  });
  const layout: LabLayout = {
    name: prefix,
    prefix,
    subnet: opts.subnet,
    createdAt: new Date().toISOString(),
    runDir,
    bridgeNamespace: bridgeNamespace(prefix),
    machineAddress: `${subnetBase(opts.subnet)}.1`,
    machineLink: machineLinks(prefix).hostEnd,
    hosts,
    controlPlanes: [],
    clusterConfig: '',
    cluster: '',
    pids: {},
  };
  try {
    log(
      `Network: ${hosts.length} hosts on ${opts.subnet} (namespaces ${hosts[0].namespace} … ${hosts.at(-1)!.namespace}, bridge in ${layout.bridgeNamespace})`,
    );
    await buildNetwork({ prefix, subnet: opts.subnet, hosts });
    const consulSecrets = makeLabConsulSecrets(runDir);
    const config = writeLabClusterConfig(opts.config && resolve(opts.config), runDir, hosts, opts.configOverrides);
    const sans = { dns: ['localhost', ...hosts.map((h) => h.name)], ips: ['127.0.0.1', '::1', ...hosts.map((h) => h.address)] };
    issueClusterCertificates(loadClusterConfig(config.path, {}), labCertsDir(runDir), 30, sans, () => undefined);
    log(`TLS: every gRPC hop, certificates in ${labCertsDir(runDir)} (valid for every host's name and address)`);
    layout.clusterConfig = config.path;
    layout.cluster = config.cluster;
    writeLayout(layout);

    const servers = hosts.filter((h) => h.consul === 'server');
    log(
      `Consul: servers on ${servers.map((h) => h.name).join(', ')}, clients on ${
        hosts
          .filter((h) => h.consul === 'client')
          .map((h) => h.name)
          .join(', ') || 'none'
      }`,
    );
    for (const [host, pid] of Object.entries(startLabConsul(prefix, runDir, hosts, join(labCertsDir(runDir), 'consul-agent'), consulSecrets)))
      layout.pids[`consul-${host}`] = pid;
    writeLayout(layout);
    await waitForLabConsul(hosts, labMasterToken(runDir), opts.consulTimeoutMs ?? 30_000, log);
    await createLabShoalToken(servers[0], runDir, config.cluster);
    const tokens = labConsulTokenFiles(runDir);
    log(`Consul ACLs: default deny; shoal's processes hold ${tokens.shoal} (shoal consul-policy's rules), the UI takes ${tokens.master}; gossip encrypted`);

    for (const host of hosts) layout.pids[`agent-${host.name}`] = startAgent(layout, host);
    writeLayout(layout);
    await waitFor('every host agent to answer', async () => (await Promise.all(hosts.map((h) => new HostAgentClient(h.agent, 500).list()))).length, {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    log(`Host agents: answering on ${hosts.map((h) => h.agent).join(', ')}`);

    if (opts.controlPlanes) {
      // The last two hosts: with five, h4 and h5, away from the primary (h1) and replicas (h2, h3).
      hosts.slice(-2).forEach((host, i) => {
        const id = `control-plane-${i + 1}`;
        const args = ['--id', id, '--host', host.address, '--consul', host.consulHttp, '--config', layout.clusterConfig];
        args.push('--run-dir', join(hostDir(layout, host.name), 'control-plane'));
        layout.pids[id] = startInNamespace(
          prefix,
          host.namespace,
          process.execPath,
          [join(REPO_ROOT, 'bin', 'shoal-control-plane.js'), ...args],
          join(hostDir(layout, host.name), 'logs', `${id}.log`),
        );
        layout.controlPlanes.push({ id, host: host.name, address: host.address });
      });
      writeLayout(layout);
      log(`Control planes: ${layout.controlPlanes.map((c) => `${c.id} on ${c.host}`).join(', ')}`);
    }
    if (opts.dashboardPort > 0) {
      const args = [
        join(REPO_ROOT, 'bin', 'shoal-monitor.js'),
        '--port',
        String(opts.dashboardPort),
        '--consul',
        servers[0].consulHttp,
        '--config',
        layout.clusterConfig,
      ];
      layout.pids.monitor = startInNamespace(prefix, undefined, process.execPath, args, join(runDir, 'logs', 'monitor.log'));
      layout.monitor = { url: `http://localhost:${opts.dashboardPort}` };
      writeLayout(layout);
    }
    return layout;
  } catch (err) {
    await removeByPrefix(prefix).catch(() => undefined);
    throw err;
  }
}

function startAgent(layout: LabLayout, host: LabHost): number {
  const dir = hostDir(layout, host.name);
  const args = ['--import', 'tsx', join(REPO_ROOT, 'lab', 'agent', 'main.ts'), '--host', host.name, '--address', host.address, '--port', String(AGENT_PORT)];
  args.push('--dir', dir, '--config', layout.clusterConfig, '--cluster', layout.cluster, '--consul', host.consulHttp);
  return startInNamespace(layout.prefix, host.namespace, process.execPath, args, join(dir, 'logs', 'agent.log'));
}

/**
 * Removes the lab: every process in its namespaces or started by it, its namespaces and
 * links (found by prefix, so also after a crash that left no lab.json), and its run dir unless
 * `keepRunDir` (its logs explain a failed test or benchmark). Safe to run twice.
 */
export async function downLab(
  prefix: string,
  runDir: string,
  opts: { keepRunDir?: boolean } = {},
): Promise<{ namespaces: string[]; processes: number; links: string[]; runDir?: string }> {
  await checkLabRequirements();
  const removed = await removeByPrefix(checkPrefix(prefix));
  const dir = resolve(runDir);
  const layout = readLayout(dir);
  // Only a run dir that is this lab's (or holds no other lab's layout) is removed.
  if (!opts.keepRunDir && existsSync(dir) && (!layout || layout.prefix === prefix)) {
    rmSync(dir, { recursive: true, force: true });
    return { ...removed, runDir: dir };
  }
  return removed;
}
