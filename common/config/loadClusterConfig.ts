import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './ConfigError';
import { type ClusterConfig, type ConfigWarning, parseClusterConfig } from './clusterConfig';

/**
 * Reads and validates a cluster config file (JSON). Without a path, the built-in defaults (the
 * seed's topology) are used. CONSUL_HTTP_ADDR overrides consul.address, as parseClusterConfig says.
 * @param warn told of each key that is set but has no effect.
 * @throws ConfigError naming the file or the wrong field.
 */
export function loadClusterConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env, warn?: (w: ConfigWarning) => void): ClusterConfig {
  if (!path) return parseClusterConfig({}, env, warn);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `cannot be read: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('--config', `is not valid JSON (${path}): ${(err as Error).message}`);
  }
  const config = parseClusterConfig(raw, env, warn);
  // A handler module and the TLS files are named relative to the file that names them.
  if (config.events.handlers) config.events.handlers = resolve(dirname(path), config.events.handlers);
  if (config.tls) {
    const { caFile, certFile, keyFile } = config.tls;
    config.tls = {
      ...config.tls,
      caFile: resolve(dirname(path), caFile),
      certFile: resolve(dirname(path), certFile),
      keyFile: resolve(dirname(path), keyFile),
    };
  }
  return config;
}
