import type { Logger } from 'pino';
import { ConfigError } from '../config/ConfigError';
import type { ConfigWarning } from '../config/configIssues';
import { routeGrpcLogs } from '../telemetry/routeGrpcLogs';
import { superviseProcess } from './superviseProcess';

/** What a server process runs once its flags are parsed. */
export interface MainProcess {
  start(): Promise<void>;
  /** Graceful stop (drain, leave Consul, release locks). */
  stop(): Promise<void>;
  /** The stop to run on a fatal error: quicker, it may skip draining. @default stop */
  stopOnFatal?(): Promise<void>;
  /** What a second signal skips, for its log line ("finishing the drain"). */
  interrupted: string;
  /** The fatal log line when start() fails ("node failed to start"). */
  startFailed: string;
}

export interface MainOptions<F extends { configWarnings: ConfigWarning[] }> {
  /** The program's name, first on its error lines: shoal-node. */
  name: string;
  help: string;
  /** @returns undefined when --help was asked for. @throws ConfigError for a wrong flag or config. */
  parseFlags(argv: string[]): F | undefined;
  /** Starts tracing; returns its stop (which flushes). None: the process exports no traces. */
  startTracing?(flags: F): () => Promise<void>;
  logger(flags: F): Logger;
  /** Builds the process; `fail` logs a fatal error, stops the process and exits 1. */
  create(flags: F, logger: Logger, fail: (msg: string, err: unknown) => void): MainProcess;
}

/**
 * The entry point of a server process: parses its flags (a ConfigError prints
 * `<name>: <message>`, a hint at --help, and exits 2; --help prints the help and exits 0),
 * starts tracing, makes the logger (gRPC's own logs go through it), logs the config's warnings
 * once, then supervises the process (superviseProcess: signals and fatal errors) and starts it.
 */
export function runMain<F extends { configWarnings: ConfigWarning[] }>(o: MainOptions<F>): void {
  let flags: F | undefined;
  let stopTracing: () => Promise<void> = () => Promise.resolve();
  try {
    flags = o.parseFlags(process.argv.slice(2));
    if (!flags) {
      process.stdout.write(o.help + '\n');
      return;
    }
    if (o.startTracing) stopTracing = o.startTracing(flags);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${o.name}: ${err.message}\nRun with --help for usage.\n`);
    process.exit(2);
  }
  const logger = o.logger(flags);
  routeGrpcLogs(logger);
  for (const w of flags.configWarnings) logger.warn({ field: w.field }, `config: ${w.field} ${w.message}`);
  const exit = async (code: number) => {
    await stopTracing().catch(() => undefined);
    logger.flush();
    process.exit(code);
  };
  // Supervision needs the process's stop, so it begins just after create(); a process reports
  // fatal errors only once it runs, by then `fail` is bound.
  let fail: (msg: string, err: unknown) => void = () => undefined;
  const proc = o.create(flags, logger, (msg, err) => fail(msg, err));
  fail = superviseProcess({ logger, stop: () => proc.stop(), stopOnFatal: proc.stopOnFatal?.bind(proc), exit, interrupted: proc.interrupted });
  proc.start().catch((err: unknown) => {
    // A config Consul refuses (its ACL token) is found only once the process asks: said as a flag's error is.
    if (err instanceof ConfigError) process.stderr.write(`${o.name}: ${err.message}\n`);
    fail(proc.startFailed, err);
  });
}
