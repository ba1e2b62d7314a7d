import type { RoleName } from '../../common/config/nodeIds';

/** One placement host as the choice sees it. */
export interface HostView {
  name: string;
  /** Its agent answered its last list. */
  reachable: boolean;
  /** The processes recorded on it (its agent's last list), running or not. */
  processes: readonly { id: string; role: RoleName; running: boolean }[];
}

/** The node to place: its id, role and the hosts its template allows (empty: any). */
export interface NodeToPlace {
  id: string;
  role: RoleName;
  hosts: readonly string[];
}

/**
 * The host to start `node` on, or an error that says why none qualifies. Only a host allowed
 * by the template and reachable now; never when a copy may run somewhere (running on any host,
 * or recorded on one that cannot be reached). Its previous host first when it is known stopped
 * there (its data is there); then, for a state node (primary or replica), a host with no other
 * state node when there is one; then the least loaded (fewest running processes), by name.
 * @throws Error naming the hosts and why each was passed over.
 */
export function chooseHost(node: NodeToPlace, hosts: readonly HostView[]): string {
  for (const h of hosts) {
    const copy = h.processes.find((p) => p.id === node.id);
    if (copy?.running) throw new Error(`${node.id} runs already on ${h.name}`);
    if (copy && !h.reachable) throw new Error(`${node.id} is recorded on ${h.name}, which cannot be reached: it may still run there`);
  }
  const allowed = node.hosts.length ? hosts.filter((h) => node.hosts.includes(h.name)) : hosts;
  const candidates = allowed.filter((h) => h.reachable);
  if (!candidates.length) {
    const which = node.hosts.length ? `its hosts (${node.hosts.join(', ')})` : 'any host';
    const why = allowed.length ? `${allowed.map((h) => h.name).join(', ')} cannot be reached` : 'none is known to the placement';
    throw new Error(`no host can run ${node.id}: it may run on ${which}, and ${why}`);
  }
  const previous = candidates.find((h) => h.processes.some((p) => p.id === node.id));
  if (previous) return previous.name;
  const load = (h: HostView) => h.processes.filter((p) => p.running).length;
  const isState = (role: RoleName) => role !== 'worker';
  const otherState = (h: HostView) => h.processes.some((p) => p.id !== node.id && p.running && isState(p.role));
  const pool = isState(node.role) && candidates.some((h) => !otherState(h)) ? candidates.filter((h) => !otherState(h)) : candidates;
  return [...pool].sort((a, b) => load(a) - load(b) || a.name.localeCompare(b.name))[0].name;
}
