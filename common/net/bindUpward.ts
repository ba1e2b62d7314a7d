import { isPortFree } from './isPortFree';

/** How far above its base port a server looks for a free one. */
export const PORT_SEARCH_SPAN = 100;

/**
 * Binds `base` on `host`, or the first free port above it (up to PORT_SEARCH_SPAN); port 0
 * lets the OS choose. `bind` binds one port and resolves the port bound.
 */
export async function bindUpward(what: string, host: string, base: number, bind: (port: number) => Promise<number>): Promise<number> {
  const last = base === 0 ? 0 : Math.min(65535, base + PORT_SEARCH_SPAN - 1);
  let lastError: unknown;
  for (let port = base; port <= last; port++) {
    // Probing first keeps the expected "port taken" case quiet; bind() still decides.
    if (port !== 0 && !(await isPortFree(port, host))) continue;
    try {
      return await bind(port);
    } catch (err) {
      lastError = err;
    }
  }
  const cause = lastError ? `: ${(lastError as Error).message}` : ' (all taken)';
  throw new Error(`cannot bind the ${what} server on ${host} at any port from ${base} to ${last}${cause}`);
}
