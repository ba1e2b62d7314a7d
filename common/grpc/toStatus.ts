import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { DomainError, type DomainErrorKind } from '../errors/DomainError';
import { capDetails } from './capStatusDetails';
import { ServerError } from './ServerError';

/** The one mapping from a domain error's kind to the status its caller sees. */
const CODE_OF_KIND: Record<DomainErrorKind, status> = {
  'invalid-input': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  conflict: status.ABORTED,
  precondition: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  exhausted: status.RESOURCE_EXHAUSTED,
};

/**
 * The one place where a handler's failure becomes a gRPC status:
 * - a ServerError (thrown by the RPC edge itself, e.g. request validation) keeps its code;
 * - a DomainError gets the code of its kind, its hints as trailing metadata;
 * - an aborted wait is CANCELLED (the caller went away), a timed-out one DEADLINE_EXCEEDED;
 * - anything else is a bug: logged with its stack, answered as INTERNAL without internals.
 */
export function toStatus(err: unknown, logger: Logger, method: string): Partial<StatusObject> {
  if (err instanceof ServerError) return { code: err.code, details: capDetails(err.details), metadata: err.metadata };
  if (err instanceof DomainError) return { code: CODE_OF_KIND[err.kind], details: capDetails(err.message), metadata: metadataOf(err.hints) };
  if (err instanceof Error && err.name === 'AbortError') return { code: status.CANCELLED, details: `${method} cancelled` };
  if (err instanceof Error && err.name === 'TimeoutError') return { code: status.DEADLINE_EXCEEDED, details: `${method} ran out of time` };
  logger.error({ err, method }, 'handler failed');
  return { code: status.INTERNAL, details: `internal error in ${method}` };
}

function metadataOf(hints: Readonly<Record<string, string>>): Metadata | undefined {
  const keys = Object.keys(hints);
  if (keys.length === 0) return undefined;
  const metadata = new Metadata();
  for (const key of keys) metadata.set(key, hints[key]);
  return metadata;
}
