import { type ServerInterceptor, ServerInterceptingCall } from '@grpc/grpc-js';

/**
 * Longest status details sent, in characters. Details travel in the grpc-message trailer; ones
 * that echo a huge request field (Promote's incarnation, grpc.health.v1 Check's service name,
 * 50 000 characters) passed the client's header size limit, and the call never ended: the
 * client waited out its deadline, and the calls after it on the channel too.
 */
export const MAX_DETAILS_CHARS = 1024;

/** `details`, cut to MAX_DETAILS_CHARS, saying how much was cut. */
export function capDetails(details: string): string {
  if (details.length <= MAX_DETAILS_CHARS) return details;
  return `${details.slice(0, MAX_DETAILS_CHARS)}… (${details.length - MAX_DETAILS_CHARS} more characters cut)`;
}

/** A server interceptor capping every status's details, those of handlers shoal does not write (health, reflection) too. */
export const capStatusDetails: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    sendStatus: (sent, next) => next({ ...sent, details: capDetails(sent.details) }),
  });
