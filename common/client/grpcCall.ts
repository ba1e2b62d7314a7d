import { Metadata, type ServiceError } from '@grpc/grpc-js';

/**
 * A generated unary client method, called with a deadline, as a promise. Aborting `signal`
 * cancels the call (it rejects with CANCELLED), e.g. when the node it waits on is known gone.
 */
export function unaryCall<Res>(
  call: (metadata: Metadata, options: { deadline: number }, cb: (err: ServiceError | null, res: Res) => void) => unknown,
  deadlineMs: number,
  signal?: AbortSignal,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const cancel = () => (started as { cancel(): void }).cancel();
    const started = call(new Metadata(), { deadline: deadlineMs }, (err, res) => {
      signal?.removeEventListener('abort', cancel);
      if (err) reject(err);
      else resolve(res);
    });
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
  });
}
