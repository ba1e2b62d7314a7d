import { Metadata, type ServiceError } from '@grpc/grpc-js';

/** A generated unary client method, called with a deadline, as a promise. */
export function unaryCall<Res>(
  call: (metadata: Metadata, options: { deadline: number }, cb: (err: ServiceError | null, res: Res) => void) => unknown,
  deadlineMs: number,
): Promise<Res> {
  return new Promise((resolve, reject) => call(new Metadata(), { deadline: deadlineMs }, (err, res) => (err ? reject(err) : resolve(res))));
}
