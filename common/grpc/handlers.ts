import { type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type StatusObject } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { type ServerError, unavailable } from './ServerError';
import { toStatus } from './toStatus';

export interface HandlerOptions {
  logger: Logger;
  /** Aborted when the server starts to drain; every call's signal aborts with it. */
  stopping?: AbortSignal;
}

/** What a handler is given besides its request: aborted when its answer is no longer wanted. */
export type CallSignal = AbortSignal;

/**
 * Adapters from async functions to grpc-js handlers; failures become statuses in `toStatus`
 * only. A handler that waits on something passes its signal along; one that does not may
 * ignore it.
 */
export function rpcHandlers({ logger, stopping }: HandlerOptions) {
  return {
    /**
     * A unary handler: the function's result is the response, its throw the status. Its signal
     * aborts when the client cancels (reason: an AbortError, answered CANCELLED), when the
     * deadline passes (a TimeoutError: DEADLINE_EXCEEDED) or when the server drains
     * (UNAVAILABLE), so a handler that rethrows the reason answers the right status.
     */
    // Arrow functions, not methods: callers destructure them (`const { unary } = rpcHandlers(…)`).
    unary: <Req, Res>(
      method: string,
      handle: (request: Req, call: ServerUnaryCall<Req, Res>, signal: CallSignal) => Promise<Res> | Res,
    ): ((call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void) => {
      return (call, callback) => {
        const cancelled = new AbortController();
        call.once('cancelled', () => cancelled.abort());
        const sources = [cancelled.signal];
        const deadline = call.getDeadline();
        const ms = (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
        if (Number.isFinite(ms)) sources.push(AbortSignal.timeout(Math.max(0, ms)));
        if (stopping) sources.push(stoppingSignal(stopping));
        const signal = AbortSignal.any(sources);
        Promise.resolve()
          .then(() => handle(call.request, call, signal))
          .then(
            (response) => callback(null, response),
            (err: unknown) => callback(toStatus(err, logger, method) as StatusObject, null),
          );
      };
    },

    /**
     * A server-streaming handler: it writes with `call.write` and returns when the stream is
     * done (ended with OK) or throws (ended with that status). Its signal aborts when the client
     * cancels, after which nothing is sent. A drain does not abort it: the server ends its open
     * streams with UNAVAILABLE itself (CallTracker.endStreams).
     */
    serverStream: <Req, Res>(
      method: string,
      handle: (request: Req, call: ServerWritableStream<Req, Res>, signal: CallSignal) => Promise<void>,
    ): ((call: ServerWritableStream<Req, Res>) => void) => {
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
    },
  };
}

/** Per drain signal, one derived signal whose reason is UNAVAILABLE, so the client retries elsewhere. */
const stoppingReasons = new WeakMap<AbortSignal, AbortSignal>();
function stoppingSignal(stopping: AbortSignal): AbortSignal {
  let signal = stoppingReasons.get(stopping);
  if (!signal) {
    const controller = new AbortController();
    const reason: ServerError = unavailable('the server is stopping; retry on another node');
    if (stopping.aborted) controller.abort(reason);
    else stopping.addEventListener('abort', () => controller.abort(reason), { once: true });
    signal = controller.signal;
    stoppingReasons.set(stopping, signal);
  }
  return signal;
}
