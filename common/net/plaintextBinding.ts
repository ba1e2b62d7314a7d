import { isIP } from 'node:net';
import { ConfigError } from '../config/ConfigError';
import type { ConfigWarning } from '../config/configIssues';

/** Whether `host` is this machine's loopback (127.0.0.0/8, ::1, localhost): only this machine can connect. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * A server without TLS (no tls section in the config) that listens beyond loopback serves its
 * store and its control RPCs in plaintext to whoever can reach the port. That takes
 * `--insecure`, said out loud; the process then warns at start (the returned warning goes with
 * the config's). Callers ask only when TLS is off.
 * @throws ConfigError naming `flag` when `host` is beyond loopback without `insecure`.
 */
export function plaintextBinding(flag: string, host: string, insecure: boolean): ConfigWarning[] {
  if (isLoopback(host)) return [];
  if (!insecure) {
    throw new ConfigError(
      flag,
      `is ${host}, beyond loopback: without TLS anyone who can reach this port can read and change the cluster. give the config a tls section (docs/security.md), or pass --insecure to serve in plaintext on a network you trust`,
    );
  }
  return [{ field: '--insecure', message: `serving in plaintext on ${host} (no TLS): anyone who can reach it can read and change the cluster` }];
}
