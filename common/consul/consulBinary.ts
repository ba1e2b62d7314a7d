import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';

/**
 * The consul binary: $CONSUL_BIN, else `consul` on PATH, else the project-local one that
 * scripts/install-consul.sh unpacks under .tools/.
 * @throws when there is none, saying how to get one.
 */
export function consulBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONSUL_BIN && existsSync(env.CONSUL_BIN)) return env.CONSUL_BIN;
  try {
    return execFileSync('sh', ['-c', 'command -v consul'], { encoding: 'utf8' }).trim();
  } catch {
    const local = join(REPO_ROOT, '.tools', 'consul', 'usr', 'bin', 'consul');
    if (existsSync(local)) return local;
  }
  throw new Error('no consul binary: run `make up` (it installs one) or scripts/install-consul.sh, or set CONSUL_BIN');
}
