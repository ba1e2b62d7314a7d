/**
 * What kind of failure a domain error is, in the domain's words. Only the RPC edge
 * (`common/grpc/toStatus.ts`) turns a kind into a gRPC status code:
 * - `invalid-input`: the request can never succeed as written (INVALID_ARGUMENT);
 * - `not-found`: it names something that does not exist (NOT_FOUND);
 * - `conflict`: a compare-and-set lost to another write (ABORTED);
 * - `precondition`: the system is not in the state the call needs, e.g. a write that reached a
 *   replica (FAILED_PRECONDITION);
 * - `unavailable`: it may succeed if retried, here or elsewhere (UNAVAILABLE);
 * - `exhausted`: a limit or quota is full (RESOURCE_EXHAUSTED).
 */
export type DomainErrorKind = 'invalid-input' | 'not-found' | 'conflict' | 'precondition' | 'unavailable' | 'exhausted';

/**
 * An error domain code (stores, queues, the reconciler) throws on purpose: its message is meant
 * for the caller. Domain code throws these and never builds gRPC statuses; subclass it when a
 * caller needs to catch one case by type (`VersionMismatch`, `AckTimeout`).
 */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    /** Facts a client can act on (e.g. where the primary is); the edge sends them as trailing metadata. */
    readonly hints: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
