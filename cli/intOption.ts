import { CliError } from './CliError';

export interface IntLimits {
  /** @default 0 */
  min?: number;
  /** @default Number.MAX_SAFE_INTEGER */
  max?: number;
}

/**
 * The one parser of whole-number options: digits only (no sign, exponent or spaces), within
 * [min, max]; `fallback` when the option is not given (undefined without one).
 * @throws CliError naming the option, its range and what was given.
 */
export function intOption(flag: string, raw: string | undefined, fallback: number, limits?: IntLimits): number;
export function intOption(flag: string, raw: string | undefined, fallback?: undefined, limits?: IntLimits): number | undefined;
export function intOption(
  flag: string,
  raw: string | undefined,
  fallback?: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: IntLimits = {},
): number | undefined {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 0 ? '' : ` of at least ${min}`) : ` from ${min} to ${max}`;
    throw new CliError(`${flag} must be a whole number${range} (got "${raw}")`);
  }
  return n;
}
