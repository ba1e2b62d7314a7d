import { waitFor } from '../../common/time/waitFor';
import { isRunning, type ProcessRecord } from './processRecord';

/**
 * SIGTERM to the process group of the recorded process (it and anything it started), then
 * SIGKILL if it is still there after `graceMs`. Resolves "gone", "terminated" or "killed".
 */
export async function stopProcess(p: ProcessRecord, graceMs: number): Promise<'gone' | 'terminated' | 'killed'> {
  if (!isRunning(p)) return 'gone';
  const { pid } = p;
  signalGroup(pid, 'SIGTERM');
  try {
    await waitFor(`pid ${pid} to exit`, () => !isRunning(p), { timeoutMs: graceMs, intervalMs: 50 });
    return 'terminated';
  } catch {
    signalGroup(pid, 'SIGKILL');
    await waitFor(`pid ${pid} to die`, () => !isRunning(p), { timeoutMs: 5000, intervalMs: 50 });
    return 'killed';
  }
}

/** Sends `signal` to the process group `pid` leads, or to the process alone if it leads none. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Not a group leader (or already gone): signal the process itself.
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}
