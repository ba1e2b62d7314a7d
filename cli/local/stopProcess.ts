import { waitFor } from '../../common/time/waitFor';
import { isAlive } from './RunDir';

/**
 * SIGTERM to the process group of `pid` (the process and anything it started), then SIGKILL
 * if it is still there after `graceMs`. Resolves "gone", "terminated" or "killed".
 */
export async function stopProcess(pid: number, graceMs: number): Promise<'gone' | 'terminated' | 'killed'> {
  if (!isAlive(pid)) return 'gone';
  signalGroup(pid, 'SIGTERM');
  try {
    await waitFor(`pid ${pid} to exit`, () => !isAlive(pid), { timeoutMs: graceMs, intervalMs: 50 });
    return 'terminated';
  } catch {
    signalGroup(pid, 'SIGKILL');
    await waitFor(`pid ${pid} to die`, () => !isAlive(pid), { timeoutMs: 5000, intervalMs: 50 });
    return 'killed';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
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
