import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { REPO_ROOT } from '../paths';

/**
 * Starts `node <script> <args>` from the checkout as a detached process in its own process
 * group (it outlives its parent, and a signal to the group reaches everything it runs),
 * stdout and stderr appended to `logFile`.
 */
export function spawnDetached(script: string, args: string[], logFile: string, env: NodeJS.ProcessEnv): ChildProcess & { pid: number } {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(process.execPath, [script, ...args], { detached: true, stdio: ['ignore', fd, fd], env, cwd: REPO_ROOT });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${script}`);
    return child as ChildProcess & { pid: number };
  } finally {
    // The child keeps its own copy of the descriptor.
    closeSync(fd);
  }
}
