import { isPortFree } from '../../common/net/isPortFree';

/** How far above its base a node's port is searched for. */
const SEARCH_SPAN = 200;

/**
 * The first port at or above `base` that is free on `host` and not in `taken` (ports given to
 * nodes that may not have bound them yet). `preferred` (the node's port before a restart) wins
 * when it is free. A base of 0 stays 0: the node lets the OS choose.
 * For the seed's bases (8080 primary, 8081 replicas, 8082 workers) started in order, that gives
 * 8080, 8081-8082, 8083-8084.
 */
export async function pickPort(base: number, taken: ReadonlySet<number>, host: string, preferred?: number): Promise<number> {
  if (preferred && !taken.has(preferred) && (await isPortFree(preferred, host))) return preferred;
  if (base === 0) return 0;
  for (let port = base; port < Math.min(65536, base + SEARCH_SPAN); port++) {
    if (!taken.has(port) && (await isPortFree(port, host))) return port;
  }
  throw new Error(`no free port from ${base} to ${base + SEARCH_SPAN - 1} on ${host}`);
}
