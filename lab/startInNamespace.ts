import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { REPO_ROOT } from '../common/paths';
import { LAB_PREFIX_ENV } from './network/removeByPrefix';

/**
 * Starts `command args` inside a network namespace (`ip netns exec` execs it, so the pid is the
 * command's), detached, output appended to `logFile`, with the lab's prefix in its environment.
 * `namespace` undefined: in the machine's own namespace (the dashboard).
 */
export function startInNamespace(prefix: string, namespace: string | undefined, command: string, args: string[], logFile: string): number {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    const [file, argv] = namespace ? ['ip', ['netns', 'exec', namespace, command, ...args]] : [command, args];
    const child = spawn(file, argv, { detached: true, stdio: ['ignore', fd, fd], cwd: REPO_ROOT, env: { ...process.env, [LAB_PREFIX_ENV]: prefix } });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}
