import { status } from '@grpc/grpc-js';

/**
 * An error a handler throws on purpose: it reaches the caller with this code and details.
 * Anything else a handler throws is logged and reaches the caller as INTERNAL, without
 * internals.
 */
export class ServerError extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details);
    this.name = 'ServerError';
  }
}

export const invalidArgument = (details: string) => new ServerError(status.INVALID_ARGUMENT, details);
export const notFound = (details: string) => new ServerError(status.NOT_FOUND, details);
export const unavailable = (details: string) => new ServerError(status.UNAVAILABLE, details);
