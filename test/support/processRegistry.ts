import type { ChildProcess } from 'node:child_process';
import { RunDir } from '../../common/local/RunDir';
import { isRunning } from '../../common/local/processRecord';

// Every process a test starts is recorded here and killed when mocha ends, however it ends
// (failure, Ctrl-C, SIGTERM): a test run must never leave a node or a Consul agent behind.
const children = new Set<ChildProcess>();
const runDirs = new Set<string>();

/** Records a child process until it exits. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Records the run directory of a detached cluster started through `shoal up`. */
export function trackRunDir(path: string): void {
  runDirs.add(path);
}

/** SIGKILLs every recorded process that still runs. Synchronous, so it works in an exit handler. */
export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
  for (const path of runDirs) {
    const runDir = new RunDir(path);
    const state = runDir.read();
    // Control planes first, so none restarts a node killed after it.
    for (const p of [
      ...(state?.controlPlanes ?? []),
      ...runDir.readNodes(),
      ...(state?.monitor ? [state.monitor] : []),
      ...(state?.consul.process ? [state.consul.process] : []),
    ]) {
      if (!isRunning(p)) continue;
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
  }
}

process.once('exit', killAll);
process.once('SIGTERM', () => {
  killAll();
  process.exit(143);
});
