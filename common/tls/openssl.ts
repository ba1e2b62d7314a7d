import { execFileSync } from 'node:child_process';

/**
 * Runs the openssl CLI (X.509 work is left to it rather than to a JavaScript library: it is on
 * every machine that runs Consul or nginx, and operators already trust and read its output).
 * @throws Error with openssl's own message when it fails or is not installed.
 */
export function openssl(args: string[]): string {
  try {
    return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('openssl is not installed (Debian: apt-get install openssl)');
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}
