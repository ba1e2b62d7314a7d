import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

/**
 * A pino logger writing one JSON line per event to stdout. Each line carries `bindings`
 * (e.g. node id, cluster), whatever `context()` returns at that moment (e.g. the node's current
 * role, which can change), and the active span's trace and span ids.
 * Level from LOG_LEVEL. @default "info"
 */
export function createLogger(bindings: Record<string, string>, context: () => Record<string, unknown> = () => ({})): Logger {
  return pino({
    level: process.env.LOG_LEVEL ?? 'info',
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const span = trace.getActiveSpan()?.spanContext();
      return span ? { ...context(), trace_id: span.traceId, span_id: span.spanId } : context();
    },
  });
}

export type { Logger };
