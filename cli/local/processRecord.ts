import { readFileSync } from 'node:fs';

/**
 * A process as `shoal up` records it: its pid and, where /proc exists, its start time, so a pid
 * that the system has since given to another program is not mistaken for ours (and not
 * signalled by `shoal down`).
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
  return p.startTime === undefined || startTimeOf(p.pid) === p.startTime;
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after its ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
