import { HostAgentClient } from '../control-plane/placement/HostAgentClient';
import { type LabLayout } from './layout';

/** Which host each running node is on, from the agents' lists (a host whose agent does not answer adds nothing). */
export async function nodeHosts(layout: LabLayout): Promise<Map<string, string>> {
  const hosts = new Map<string, string>();
  const lists = await Promise.all(layout.hosts.map((h) => new HostAgentClient(h.agent, 1000).list().catch(() => undefined)));
  for (const list of lists) for (const p of list?.processes ?? []) if (p.running) hosts.set(p.id, list!.host);
  return hosts;
}
