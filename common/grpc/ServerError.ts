import { type Metadata, status } from '@grpc/grpc-js';

/**
 * An error a handler throws on purpose: it reaches the caller with this code and details.
 * Anything else a handler throws is logged and reaches the caller as INTERNAL, without
 * internals.
 */
export class ServerError extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
    /** Trailing metadata for the caller, e.g. where to redirect. */
    readonly metadata?: Metadata,
  ) {
    super(details);
    this.name = 'ServerError';
  }
}

export const invalidArgument = (details: string) => new ServerError(status.INVALID_ARGUMENT, details);
export const notFound = (details: string) => new ServerError(status.NOT_FOUND, details);
export const unavailable = (details: string, metadata?: Metadata) => new ServerError(status.UNAVAILABLE, details, metadata);
export const failedPrecondition = (details: string, metadata?: Metadata) => new ServerError(status.FAILED_PRECONDITION, details, metadata);
