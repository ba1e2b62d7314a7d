import { readdirSync, readFileSync } from 'node:fs';
import { ip, namespacePids, namespaces } from '../ip';
import { machineLinks } from '../layout';

/** The environment variable every process the lab starts carries, so `down` finds them without lab.json. */
export const LAB_PREFIX_ENV = 'SHOAL_LAB_PREFIX';

/**
 * Removes everything a lab with this prefix made, from what the kernel shows (not from lab.json,
 * so it also cleans up after a run that crashed before writing it): every process in its
 * namespaces or carrying its prefix in the environment is killed, its namespaces deleted (their
 * veths go with them) and the machine's veth deleted. Safe to run twice.
 * @returns what it removed, for the CLI to print.
 */
export async function removeByPrefix(prefix: string): Promise<{ namespaces: string[]; processes: number; links: string[] }> {
  const ours = (await namespaces()).filter((ns) => new RegExp(`^${prefix}-(br|h\\d+)$`).test(ns));
  const pids = new Set<number>(processesWithPrefix(prefix));
  for (const ns of ours) for (const pid of await namespacePids(ns)) pids.add(pid);
  for (const pid of pids) signal(pid, 'SIGCONT');
  for (const pid of pids) signal(pid, 'SIGKILL');
  await waitGone([...pids]);
  for (const ns of ours) await ip('netns', 'delete', ns);
  const links: string[] = [];
  const machine = machineLinks(prefix).hostEnd;
  if ((await ip('-o', 'link', 'show')).split('\n').some((l) => l.split(':')[1]?.trim().split('@')[0] === machine)) {
    // Deleting the bridge namespace takes the peer, and the kernel removes this end shortly after.
    await ip('link', 'delete', machine).catch((err: Error) => {
      if (!/Cannot find device/.test(err.message)) throw err;
    });
    links.push(machine);
  }
  return { namespaces: ours, processes: pids.size, links };
}

function processesWithPrefix(prefix: string): number[] {
  const marker = `${LAB_PREFIX_ENV}=${prefix}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) found.push(Number(entry));
    } catch {
      // It exited, or is not ours to read.
    }
  }
  return found;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already.
  }
}

async function waitGone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 5000;
  const alive = (pid: number): boolean => {
    try {
      // A zombie still answers kill(0): its state in /proc says it is done.
      return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    } catch {
      return false;
    }
  };
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
