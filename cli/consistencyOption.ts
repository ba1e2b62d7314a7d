import { CONSISTENCIES, type Consistency } from '../common/client/StateClient';
import { CliError } from './CliError';

/** The help lines of --consistency, shared by `shoal get` and `shoal ls`. */
export const CONSISTENCY_HELP = `  --consistency MODE  default | consistent | stale (docs/consistency.md):
                      default     the primary answers while it holds its lease
                      consistent  the primary confirms with a quorum first (linearizable)
                      stale       any node answers at once, saying its position and term
                      (default: stale with --from, else default)`;

/**
 * --consistency as a read mode; `--from NODE` reads one node, which only a stale read may.
 * @throws CliError for an unknown mode, or --from with default or consistent.
 */
export function consistencyOption(raw: string | undefined, from: string | undefined): Consistency {
  if (raw !== undefined && !(CONSISTENCIES as readonly string[]).includes(raw)) {
    throw new CliError(`--consistency must be one of ${CONSISTENCIES.join(', ')} (got "${raw}")`);
  }
  const mode = (raw as Consistency | undefined) ?? (from ? 'stale' : 'default');
  if (from && mode !== 'stale') throw new CliError(`--from ${from} reads that one node, which only --consistency stale does; ${mode} reads go to the primary`);
  return mode;
}
