import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { consulBinary } from '../../common/consul/consulBinary';
import { waitFor } from '../../common/time/waitFor';
import { type LabHost } from '../layout';
import { startInNamespace } from '../startInNamespace';

/**
 * Starts a Consul agent on every host: servers (bootstrap-expect 3) on the hosts marked
 * `server`, clients elsewhere, each joined to the servers and serving its HTTP API on its own
 * host's address. Raft timing is Consul's production setting (raft_multiplier 1): a leader is
 * elected in ~1-2 s instead of ~5-10 s. `checkCertificate` is the path, without .crt/.key, of the
 * certificate the agents present to the nodes they check. `secrets` (labConsulSecurity): ACLs
 * on, default deny, and gossip encryption.
 * @returns the pid of each agent by host name.
 */
export function startLabConsul(
  prefix: string,
  runDir: string,
  hosts: LabHost[],
  checkCertificate: string,
  secrets: Record<string, unknown>,
): Record<string, number> {
  const binary = consulBinary();
  const servers = hosts.filter((h) => h.consul === 'server');
  const configFile = join(runDir, 'consul.json');
  mkdirSync(runDir, { recursive: true });
  // The nodes require mutual TLS: each agent runs their gRPC checks with the cluster's
  // consul-agent certificate (docs/security.md). Consul's own traffic stays as it was.
  const checks = {
    enable_agent_tls_for_checks: true,
    ca_file: join(dirname(checkCertificate), 'ca.crt'),
    cert_file: `${checkCertificate}.crt`,
    key_file: `${checkCertificate}.key`,
  };
  writeFileSync(configFile, JSON.stringify({ performance: { raft_multiplier: 1 }, disable_update_check: true, ...checks, ...secrets }) + '\n', {
    mode: 0o600,
  });
  const pids: Record<string, number> = {};
  for (const host of hosts) {
    const dataDir = join(runDir, host.name, 'consul');
    mkdirSync(dataDir, { recursive: true });
    const joins = servers.filter((s) => s.name !== host.name).flatMap((s) => ['-retry-join', s.address]);
    const role = host.consul === 'server' ? ['-server', `-bootstrap-expect=${servers.length}`, '-ui'] : [];
    const args = [
      'agent',
      ...role,
      `-node=${host.name}`,
      `-bind=${host.address}`,
      `-client=${host.address}`,
      `-data-dir=${dataDir}`,
      `-config-file=${configFile}`,
      '-dns-port=-1',
      // Clients start with the servers; Consul's default 30 s between join attempts would leave them out that long.
      '-retry-interval=1s',
      ...joins,
    ];
    pids[host.name] = startInNamespace(prefix, host.namespace, binary, args, join(runDir, host.name, 'logs', 'consul.log'));
  }
  return pids;
}

interface AgentMember {
  Name: string;
  Status: number;
}

/**
 * Waits for a Raft leader and every agent alive (Serf status 1), printing progress as it
 * changes; `token` may read the agents (the master token).
 */
export async function waitForLabConsul(hosts: LabHost[], token: string, timeoutMs: number, log: (line: string) => void): Promise<string> {
  const server = hosts.find((h) => h.consul === 'server')!;
  let last = '';
  return waitFor(
    'a Consul Raft leader and every agent alive',
    async () => {
      const leader = await fetchJson<string>(`http://${server.consulHttp}/v1/status/leader`, token).catch(() => '');
      const members = await fetchJson<AgentMember[]>(`http://${server.consulHttp}/v1/agent/members`, token).catch(() => []);
      const alive = members.filter((m) => m.Status === 1).length;
      const progress = `  Consul: leader ${leader || 'not elected yet'}; ${alive}/${hosts.length} agents alive`;
      if (progress !== last) log((last = progress));
      return leader && alive === hosts.length && leader;
    },
    { timeoutMs, intervalMs: 200, describe: () => last },
  );
}

async function fetchJson<T>(url: string, token: string): Promise<T> {
  const res = await fetch(url, { headers: { 'x-consul-token': token }, signal: AbortSignal.timeout(1000) });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}
