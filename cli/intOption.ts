import { CliError } from './CliError';

/** A whole-number option within [min, max], `fallback` when not given. @throws CliError naming the option. */
export function intOption(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  const n = Number(raw ?? fallback);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag} must be from ${min} to ${max} (got "${raw}")`);
  return n;
}
