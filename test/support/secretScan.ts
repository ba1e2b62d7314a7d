import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Secrets a test made in memory (a Consul master token, say): no log line may hold them. */
const registered = new Set<string>();

export function keepOutOfLogs(secret: string): void {
  registered.add(secret);
}

function filesUnder(dir: string, wanted: (name: string) => boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return [];
    return stat.isDirectory() ? filesUnder(path, wanted) : wanted(name) ? [path] : [];
  });
}

/** Values of the secret fields of a cluster config (consul.token, controlPlane.token, dashboard.token). */
function configSecrets(path: string): string[] {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { token?: unknown } | undefined>;
    return ['consul', 'controlPlane', 'dashboard'].map((s) => raw[s]?.token).filter((t): t is string => typeof t === 'string' && t.length >= 8);
  } catch {
    return [];
  }
}

/** A line of a PEM private key's body: present in a log only if the key was logged. */
function keyLine(path: string): string[] {
  const line = readFileSync(path, 'utf8')
    .split('\n')
    .find((l) => /^[A-Za-z0-9+/]{40,}$/.test(l));
  return line ? [line] : [];
}

/**
 * Every secret the tests made under `root` (TLS private keys, token files, tokens in the
 * cluster configs, whatever their file's name) and those registered, looked for in every log file there.
 * @returns "<log file>: <what leaked>" for each find.
 */
export function secretsInLogs(root: string): string[] {
  const secrets = new Map<string, string>();
  for (const s of registered) secrets.set(s, 'a token the test made');
  for (const f of filesUnder(root, (n) => n.endsWith('.key'))) for (const l of keyLine(f)) secrets.set(l, `the private key ${f}`);
  for (const f of filesUnder(root, (n) => n.endsWith('.token'))) {
    const t = readFileSync(f, 'utf8').trim();
    if (t.length >= 8) secrets.set(t, `the token in ${f}`);
  }
  for (const f of filesUnder(root, (n) => n.endsWith('.json'))) for (const t of configSecrets(f)) secrets.set(t, `a token of ${f}`);
  const finds: string[] = [];
  for (const log of filesUnder(root, (n) => n.endsWith('.log'))) {
    const text = readFileSync(log, 'utf8');
    for (const [secret, what] of secrets) if (text.includes(secret)) finds.push(`${log}: ${what}`);
  }
  return finds;
}
