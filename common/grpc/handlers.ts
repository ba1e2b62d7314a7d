import { type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type StatusObject } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { type ServerError, unavailable } from './ServerError';
import { toStatus } from './toStatus';

export interface HandlerOptions {
  logger: Logger;
  /**
   * Aborted when the server starts to drain; every unary call's signal aborts with it. Each
   * call in flight listens on it, so it should have no listener cap (Lifecycle.drainSignal).
   */
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
        // One controller per call, its timer and listeners gone when the call is answered:
        // AbortSignal.any with AbortSignal.timeout cost ~50 µs a call and kept every timer (and
        // its signal) alive until the deadline, thousands of them at a high call rate.
        const controller = new AbortController();
        const onCancel = () => controller.abort(new DOMException(`${method} cancelled by the client`, 'AbortError'));
        call.once('cancelled', onCancel);
        const deadline = call.getDeadline();
        const ms = (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
        const timer = Number.isFinite(ms)
          ? setTimeout(() => controller.abort(new DOMException(`${method} reached its deadline`, 'TimeoutError')), Math.max(0, ms))
          : undefined;
        timer?.unref();
        const onStop = () => controller.abort(STOPPING);
        if (stopping?.aborted) onStop();
        else stopping?.addEventListener('abort', onStop, { once: true });
        const done = () => {
          clearTimeout(timer);
          stopping?.removeEventListener('abort', onStop);
          call.removeListener('cancelled', onCancel);
        };
        Promise.resolve()
          .then(() => handle(call.request, call, controller.signal))
          .then(
            (response) => (done(), callback(null, response)),
            (err: unknown) => (done(), callback(toStatus(err, logger, method) as StatusObject, null)),
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

/** Why a call is cut short by a drain: UNAVAILABLE, so the client retries elsewhere. */
const STOPPING: ServerError = unavailable('the server is stopping; retry on another node');
