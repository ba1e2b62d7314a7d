import { ipIn } from '../ip';
import { consulServers, findHost, hostLinks, type LabLayout } from '../layout';
import { addFault, readFaults } from './activeFaults';

/** Takes both ends of the host's link down: nothing reaches it and it reaches nothing (the machine's namespace included). */
export async function isolate(layout: LabLayout, hostName: string): Promise<string> {
  const host = findHost(layout, hostName);
  const { hostEnd, bridgeEnd } = hostLinks(layout.prefix, host.name);
  await ipIn(host.namespace, 'link', 'set', hostEnd, 'down');
  await ipIn(layout.bridgeNamespace, 'link', 'set', bridgeEnd, 'down');
  addFault(layout.runDir, { kind: 'isolate', host: host.name, at: new Date().toISOString() });
  return `isolated ${host.name} (${host.address}): its link is down at both ends`;
}

/** `--from consul` names the Consul servers (other than the host itself). */
export function resolvePeers(layout: LabLayout, hostName: string, from: string): string[] {
  const names = from === 'consul' ? consulServers(layout).map((h) => h.name) : from.split(',').map((s) => s.trim());
  const peers = names.filter((n) => n && n !== hostName);
  if (peers.length === 0) throw new Error(`--from names no host other than ${hostName}`);
  for (const p of peers) findHost(layout, p);
  return peers;
}

/**
 * Drops the traffic between a host and each peer with a blackhole route per peer address in
 * the namespaces (everything else flows). One-way: only what the peers send to the host.
 */
export async function cut(layout: LabLayout, hostName: string, peers: string[], oneWay: boolean): Promise<string> {
  const host = findHost(layout, hostName);
  const already = readFaults(layout.runDir);
  const routes: { from: string; to: string }[] = [];
  for (const peerName of peers) {
    routes.push({ from: peerName, to: host.name });
    if (!oneWay) routes.push({ from: host.name, to: peerName });
  }
  for (const { from, to } of routes) {
    const src = findHost(layout, from);
    const dst = findHost(layout, to);
    if (already.some((f) => f.kind === 'route' && f.host === src.name && f.toHost === dst.name)) continue;
    await ipIn(src.namespace, 'route', 'add', 'blackhole', `${dst.address}/32`);
    addFault(layout.runDir, { kind: 'route', namespace: src.namespace, host: src.name, to: dst.address, toHost: dst.name, at: new Date().toISOString() });
  }
  const arrow = oneWay ? '→' : '↔';
  return `cut ${peers.map((p) => `${p} ${arrow} ${host.name}`).join(', ')} (blackhole routes; all other traffic flows)`;
}
