import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `ip <args>`; rejects with ip's own message. */
export async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args, { encoding: 'utf8' });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

/** Runs `ip netns exec <ns> ip <args>`. */
export function ipIn(namespace: string, ...args: string[]): Promise<string> {
  return ip('netns', 'exec', namespace, 'ip', ...args);
}

export async function namespaces(): Promise<string[]> {
  const out = await ip('netns', 'list');
  return out
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}

/** Pids of every process in a namespace (the PID namespace is shared: see docs/lab.md). */
export async function namespacePids(namespace: string): Promise<number[]> {
  const out = await ip('netns', 'pids', namespace).catch(() => '');
  return out.split('\n').filter(Boolean).map(Number);
}

/** Linux, root and iproute2, or a message that says which is missing. */
export async function checkLabRequirements(): Promise<void> {
  if (process.platform !== 'linux') throw new Error(`the lab needs Linux network namespaces (this is ${process.platform})`);
  if (process.getuid?.() !== 0) throw new Error('the lab needs root to make network namespaces: run it with sudo (e.g. `sudo make lab`)');
  await ip('-V').catch(() => {
    throw new Error('the lab needs iproute2 (`ip`): apt-get install iproute2');
  });
}
