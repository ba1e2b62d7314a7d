import { status, type ServiceError } from '@grpc/grpc-js';
import { CliError } from './CliError';

/**
 * A gRPC error as a one-line CLI message: what failed, the status name, the node's words. A
 * connection that never got established is most often plaintext against a cluster with TLS
 * (or the other way round): the message says where the CLI takes its TLS from.
 */
export function grpcFailure(err: unknown, what: string): Error {
  const e = err as Partial<ServiceError>;
  if (typeof e.code !== 'number') return err as Error;
  const details = e.details ?? e.message ?? '';
  const hint =
    e.code === status.UNAVAILABLE && /No connection established/.test(details)
      ? ' (if the cluster runs with TLS, the CLI needs its config with the tls section: --config FILE or SHOAL_CONFIG)'
      : '';
  return new CliError(`${what} failed: ${status[e.code] ?? e.code}: ${details.replace(/\. Resolution note: ?$/, '')}${hint}`);
}
