import { type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, status, type StatusObject } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ServerError } from './ServerError';

/**
 * The one place where a handler's failure becomes a gRPC status: a ServerError keeps its code
 * and details; anything else is logged with its stack and answered as INTERNAL.
 */
export function toStatus(err: unknown, logger: Logger, method: string): Partial<StatusObject> {
  if (err instanceof ServerError) return { code: err.code, details: err.details, metadata: err.metadata };
  logger.error({ err, method }, 'handler failed');
  return { code: status.INTERNAL, details: `internal error in ${method}` };
}

/** Adapts an async function to a grpc-js unary handler. */
export function unary<Req, Res>(
  logger: Logger,
  method: string,
  handle: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res> | Res,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handle(call.request, call))
      .then(
        (response) => callback(null, response),
        (err: unknown) => callback(toStatus(err, logger, method) as StatusObject, null),
      );
  };
}

/**
 * Adapts an async function to a grpc-js server-streaming handler. `signal` aborts when the
 * client cancels; the function writes with `call.write` and returns when the stream is done
 * (it is then ended with OK) or throws (the stream ends with that status).
 */
export function serverStream<Req, Res>(
  logger: Logger,
  method: string,
  handle: (request: Req, call: ServerWritableStream<Req, Res>, signal: AbortSignal) => Promise<void>,
): (call: ServerWritableStream<Req, Res>) => void {
  return (call) => {
    const cancelled = new AbortController();
    call.once('cancelled', () => cancelled.abort());
    handle(call.request, call, cancelled.signal).then(
      () => {
        if (!cancelled.signal.aborted) call.end();
      },
      (err: unknown) => {
        if (!cancelled.signal.aborted) call.emit('error', toStatus(err, logger, method));
      },
    );
  };
}
