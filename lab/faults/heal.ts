import { ipIn, namespacePids } from '../ip';
import { findHost, hostLinks, type LabLayout } from '../layout';
import { readFaults, writeFaults } from './activeFaults';

/** Undoes every recorded fault: links up, blackhole routes removed, paused hosts resumed. */
export async function heal(layout: LabLayout): Promise<string[]> {
  const done: string[] = [];
  for (const fault of readFaults(layout.runDir)) {
    if (fault.kind === 'isolate') {
      const host = findHost(layout, fault.host);
      const { hostEnd, bridgeEnd } = hostLinks(layout.prefix, host.name);
      await ipIn(layout.bridgeNamespace, 'link', 'set', bridgeEnd, 'up');
      await ipIn(host.namespace, 'link', 'set', hostEnd, 'up');
      done.push(`${host.name}'s link is up`);
    } else if (fault.kind === 'route') {
      // Gone already when the namespace was remade: nothing left to undo.
      await ipIn(fault.namespace, 'route', 'del', 'blackhole', `${fault.to}/32`).catch(() => undefined);
      done.push(`${fault.host} → ${fault.toHost} flows`);
    } else {
      const host = findHost(layout, fault.host);
      for (const pid of await namespacePids(host.namespace)) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // Exited meanwhile.
        }
      }
      done.push(`${host.name} resumed`);
    }
  }
  writeFaults(layout.runDir, []);
  return done;
}
