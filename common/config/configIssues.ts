import type { z } from 'zod';
import { ConfigError } from './ConfigError';

/** A key that is accepted but changes nothing; each process logs these at start. */
export interface ConfigWarning {
  /** The key's full path, e.g. `sync.targets`. */
  field: string;
  message: string;
}

/** A zod path as the config names fields: `nodes[1].config.port`; `(config)` for the file itself. */
export function fieldPath(path: readonly PropertyKey[]): string {
  const text = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
  return text || '(config)';
}

/**
 * The ConfigError for the first issue zod found, naming the field and the rule it breaks. A key
 * the schema does not know is named itself, with its object's path before it.
 */
export function configErrorOf(error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
  return new ConfigError(fieldPath(path), issue.message);
}
