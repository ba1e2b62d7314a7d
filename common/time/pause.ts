/**
 * Resolves after `ms`, or at once when `signal` aborts; never rejects. It leaves no listener on
 * the signal behind (loops pause on one long-lived signal thousands of times), and its timer
 * does not keep the process alive.
 */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    function done() {
      signal?.removeEventListener('abort', done);
      clearTimeout(timer);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
