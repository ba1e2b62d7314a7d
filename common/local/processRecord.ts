import { readFileSync } from 'node:fs';

/**
 * A process as a local cluster records it: its pid and, where /proc exists, its start time, so a pid
 * that the system has since given to another program is not mistaken for ours (and not
 * signalled).
 */
export interface ProcessRecord {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot); absent where there is no /proc. */
  startTime?: string;
}

/** Records a process that runs now. */
export function recordProcess(pid: number): ProcessRecord {
  return { pid, startTime: startTimeOf(pid) };
}

/** Whether the recorded process still runs (the same process, not a reuse of its pid). */
export function isRunning(p: ProcessRecord): boolean {
  try {
    process.kill(p.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = statOf(p.pid);
  // A zombie (state Z) has exited; it only waits for its parent to collect it.
  if (stat && stat[0] === 'Z') return false;
  return p.startTime === undefined || stat?.[19] === p.startTime;
}

/** Clock ticks per second of /proc's times (USER_HZ, 100 in the Linux ABI). */
const USER_HZ = 100;

/** CPU time (user + system) the process has used so far, ms; undefined where there is no /proc or it is gone. */
export function cpuTimeMs(pid: number): number | undefined {
  const stat = statOf(pid);
  // utime and stime are fields 14 and 15; statOf starts at field 3.
  return stat ? ((Number(stat[11]) + Number(stat[12])) * 1000) / USER_HZ : undefined;
}

function startTimeOf(pid: number): string | undefined {
  return statOf(pid)?.[19];
}

/** /proc/<pid>/stat from field 3 (the state) on; undefined where there is no /proc. */
function statOf(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after its ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
