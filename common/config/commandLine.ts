import { parseArgs } from 'node:util';
import { ConfigError } from './ConfigError';

/**
 * Parses a server's command line: every option in `names` a string, those in `switches` true or
 * absent (read back as "true" or undefined), plus -h/--help.
 * @returns undefined when --help was asked for, else a reader of the options given.
 * @throws ConfigError for an unknown or malformed option.
 */
export function readCommandLine(argv: string[], names: string[], switches: string[] = []): ((name: string) => string | undefined) | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        ...Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])),
        ...Object.fromEntries(switches.map((n) => [n, { type: 'boolean' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new ConfigError('command line', (err as Error).message.replace(/\. To specify.*$/s, ''));
  }
  if (values.help) return undefined;
  return (name) => {
    const value = values[name];
    return value === true ? 'true' : typeof value === 'string' ? value : undefined;
  };
}

/** A port flag's value: 0 to 65535. @throws ConfigError naming the flag. */
export function portFlag(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new ConfigError(flag, `must be a port from 0 to 65535 (got "${value}")`);
  return n;
}
