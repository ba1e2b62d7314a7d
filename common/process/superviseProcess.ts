import type { Logger } from 'pino';

export interface Supervised {
  logger: Logger;
  /** Graceful stop (drain, leave Consul, release locks). */
  stop(): Promise<void>;
  /** The stop to run on a fatal error: quicker, it may skip draining. @default stop */
  stopOnFatal?(): Promise<void>;
  /** Flushes telemetry and exits with `code`. */
  exit(code: number): Promise<void>;
  /** What a second signal skips, for its log line ("finishing the drain"). */
  interrupted: string;
}

/** How long a process that must stop on an error may take before it exits anyway. */
const FATAL_EXIT_MS = 3000;

/**
 * The life of a server process: SIGTERM or SIGINT stops it gracefully and exits 0, a second
 * signal exits 1 at once; an uncaught exception or unhandled rejection is logged and still
 * stops it (so it leaves Consul rather than sit there critical), but a stop that hangs cannot
 * keep a broken process alive past 3 s.
 * @returns `fail(msg, err)`, for errors the caller catches (a start that fails).
 */
export function superviseProcess(p: Supervised): (msg: string, err: unknown) => void {
  const fail = (msg: string, err: unknown) => {
    p.logger.fatal({ err: err instanceof Error ? err.message : err, stack: err instanceof Error ? err.stack : undefined }, msg);
    setTimeout(() => process.exit(1), FATAL_EXIT_MS).unref();
    void (p.stopOnFatal ?? p.stop)().finally(() => p.exit(1));
  };
  process.on('uncaughtException', (err) => fail('uncaught exception', err));
  process.on('unhandledRejection', (err) => fail('unhandled promise rejection', err));
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      p.logger.warn({ signal }, `second signal: exiting without ${p.interrupted}`);
      void p.exit(1);
      return;
    }
    p.logger.info({ signal }, 'stopping');
    void p.stop().then(() => p.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return fail;
}
