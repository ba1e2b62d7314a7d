import { resolve } from 'node:path';
import { ConfigError } from '../../../common/config/ConfigError';
import { BUILTIN_HANDLERS } from './builtinHandlers';
import type { EventHandler } from './handlers';

/**
 * The built-in handlers, plus those exported by `file` (one async function per event type:
 * `exports.resize = async (event, ctx) => …`, or ES `export async function resize`). A module's
 * handler replaces a built-in of the same name.
 * @throws ConfigError when the file cannot be loaded or exports no function.
 */
export function loadHandlers(file: string | undefined): Record<string, EventHandler> {
  if (!file) return { ...BUILTIN_HANDLERS };
  const path = resolve(file);
  let exported: Record<string, unknown>;
  try {
    // Loaded by path at start, by design: the worker runs the user's module.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(path) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError('--handlers', `cannot be loaded (${path}): ${(err as Error).message}`);
  }
  const own = Object.entries(exported).filter((e): e is [string, EventHandler] => typeof e[1] === 'function');
  if (own.length === 0) throw new ConfigError('--handlers', `exports no function (${path}); export one async function per event type`);
  return { ...BUILTIN_HANDLERS, ...Object.fromEntries(own) };
}
