import { execFile } from 'node:child_process';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');

/**
 * Runs `shoal ARGS…` (bin/shoal.js) to completion; never rejects, the exit code tells. With
 * `namespace`, inside that network namespace (a lab host), as an operator on that host would.
 */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 90000,
  namespace?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = [process.execPath, join(REPO, 'bin', 'shoal.js'), ...args];
  const [command, ...argv] = namespace ? ['ip', 'netns', 'exec', namespace, ...cli] : cli;
  return new Promise((resolve) => {
    execFile(command, argv, { cwd: REPO, env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
