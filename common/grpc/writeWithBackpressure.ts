/**
 * Writes one message to a server stream and, when the stream's buffer is full, waits for it
 * to drain (or for `signal` to abort), so a slow reader slows the writer down instead of
 * growing the node's memory.
 */
/** The writable side of a server stream (server-streaming or bidi). */
export interface MessageSink<Res> {
  write(message: Res): boolean;
  on(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

export function writeWithBackpressure<Res>(call: MessageSink<Res>, message: Res, signal: AbortSignal): Promise<void> {
  if (call.write(message) || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
