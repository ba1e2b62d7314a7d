import { status, type ServiceError } from '@grpc/grpc-js';
import { CliError } from './CliError';

/** A gRPC error as a one-line CLI message: what failed, the status name, the node's words. */
export function grpcFailure(err: unknown, what: string): Error {
  const e = err as Partial<ServiceError>;
  if (typeof e.code !== 'number') return err as Error;
  return new CliError(`${what} failed: ${status[e.code] ?? e.code}: ${e.details ?? e.message}`);
}
