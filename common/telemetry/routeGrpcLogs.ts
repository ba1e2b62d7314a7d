import { format } from 'node:util';
import { setLogger } from '@grpc/grpc-js';
import type { Logger } from 'pino';

/**
 * Sends grpc-js's own diagnostics (by default bare "E …" lines on stderr) into the structured
 * log, so every line a process writes is JSON.
 */
export function routeGrpcLogs(logger: Logger): void {
  const log = logger.child({ source: 'grpc-js' });
  setLogger({
    error: (...args: unknown[]) => log.warn(format(...args)),
    info: (...args: unknown[]) => log.info(format(...args)),
    debug: (...args: unknown[]) => log.debug(format(...args)),
  });
}
