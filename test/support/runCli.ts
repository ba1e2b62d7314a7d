import { execFile } from 'node:child_process';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');

/** Runs `shoal ARGS…` (bin/shoal.js) to completion; never rejects, the exit code tells. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 90000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO, 'bin', 'shoal.js'), ...args],
      { cwd: REPO, env: { ...process.env, ...env }, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
