import { readFileSync } from 'node:fs';
import { namespacePids } from '../ip';
import { consulServers, findHost, type LabLayout } from '../layout';
import { addFault, readFaults, writeFaults } from './activeFaults';

function signalAll(pids: number[], sig: NodeJS.Signals): number {
  let sent = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
      sent++;
    } catch {
      // It exited meanwhile.
    }
  }
  return sent;
}

/** SIGSTOP to every process in the host's namespace: the host hangs, its sockets stay open. */
export async function pause(layout: LabLayout, hostName: string): Promise<string> {
  const host = findHost(layout, hostName);
  const sent = signalAll(await namespacePids(host.namespace), 'SIGSTOP');
  addFault(layout.runDir, { kind: 'pause', host: host.name, at: new Date().toISOString() });
  return `paused ${host.name}: SIGSTOP to ${sent} processes`;
}

export async function resume(layout: LabLayout, hostName: string): Promise<string> {
  const host = findHost(layout, hostName);
  const sent = signalAll(await namespacePids(host.namespace), 'SIGCONT');
  writeFaults(
    layout.runDir,
    readFaults(layout.runDir).filter((f) => !(f.kind === 'pause' && f.host === host.name)),
  );
  return `resumed ${host.name}: SIGCONT to ${sent} processes`;
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
  } catch {
    return [];
  }
}

/**
 * SIGKILL of a node (found among its hosts' processes by its --id, so it works on an isolated
 * or paused host too) or of `consul-N`, the N-th Consul server.
 */
export async function killTarget(layout: LabLayout, target: string): Promise<string> {
  const consul = /^consul-(\d+)$/.exec(target);
  if (consul) {
    const servers = consulServers(layout);
    const host = servers[Number(consul[1]) - 1];
    if (!host) throw new Error(`no ${target}: the Consul servers are consul-1 … consul-${servers.length} (on ${servers.map((s) => s.name).join(', ')})`);
    const pid = layout.pids[`consul-${host.name}`];
    signalAll([pid], 'SIGKILL');
    return `killed ${target} (the Consul server on ${host.name}, pid ${pid})`;
  }
  for (const host of layout.hosts) {
    for (const pid of await namespacePids(host.namespace)) {
      const args = cmdline(pid);
      const id = args.indexOf('--id');
      if (id >= 0 && args[id + 1] === target && args.some((a) => a.endsWith('shoal-node.js'))) {
        signalAll([pid], 'SIGKILL');
        return `killed ${target} on ${host.name} (pid ${pid}, SIGKILL)`;
      }
    }
  }
  throw new Error(`no running node "${target}" on any host of lab "${layout.name}"`);
}
