import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './ConfigError';
import { type ClusterConfig, type ConfigWarning, type ConsulConfig, parseClusterConfig } from './clusterConfig';

/**
 * Reads and validates a cluster config file (JSON). Without a path, the built-in defaults (the
 * seed's topology) are used. CONSUL_HTTP_ADDR overrides consul.address, as parseClusterConfig says;
 * the Consul ACL token is read from its file here.
 * @param warn told of each key that is set but has no effect.
 * @throws ConfigError naming the file or the wrong field.
 */
export function loadClusterConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env, warn?: (w: ConfigWarning) => void): ClusterConfig {
  if (!path) return withTokenRead(parseClusterConfig({}, env, warn), process.cwd(), env);
  const config = parseClusterConfig(readConfigJson(path), env, warn);
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
  return withTokenRead(config, dirname(path), env);
}

/** Where the Consul token in use came from, in the order parseClusterConfig takes them: the field or variable to name in an error. */
export function tokenSource(consul: ConsulConfig, env: NodeJS.ProcessEnv): string {
  if (env.CONSUL_HTTP_TOKEN_FILE) return 'CONSUL_HTTP_TOKEN_FILE';
  if (env.CONSUL_HTTP_TOKEN) return 'CONSUL_HTTP_TOKEN';
  if (consul.tokenFile) return 'consul.tokenFile';
  return 'consul.token';
}

/**
 * A config file's JSON, unchecked.
 * @throws ConfigError naming --config when it cannot be read or is not JSON.
 */
export function readConfigJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `cannot be read: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError('--config', `is not valid JSON (${path}): ${(err as Error).message}`);
  }
}

/**
 * The config with consul.token read from consul.tokenFile (or CONSUL_HTTP_TOKEN_FILE, which
 * parseClusterConfig put there), so every Consul request carries it.
 * @throws ConfigError naming the variable or field whose file cannot be read or is empty.
 */
function withTokenRead(config: ClusterConfig, dir: string, env: NodeJS.ProcessEnv): ClusterConfig {
  const { tokenFile } = config.consul;
  if (!tokenFile) return config;
  const field = tokenSource(config.consul, env);
  // The variable's path is the shell's, relative to where the process runs.
  const file = resolve(field === 'CONSUL_HTTP_TOKEN_FILE' ? process.cwd() : dir, tokenFile);
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(field, `cannot be read: ${(err as Error).message}`);
  }
  if (!token) throw new ConfigError(field, `${file} is empty`);
  return { ...config, consul: { ...config.consul, tokenFile: file, token } };
}
