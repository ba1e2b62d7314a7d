import { join } from 'node:path';
import { REPO_ROOT } from '../common/cluster/version';

/** A failure the user can act on: printed as "shoal: <message>" without a stack, exit 1. */
export class CliError extends Error {}

/** The run directory of `shoal up`: $SHOAL_RUN_DIR, else .run in the checkout. */
export function defaultRunDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SHOAL_RUN_DIR ?? join(REPO_ROOT, '.run');
}
