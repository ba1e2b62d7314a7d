import { type ServerInterceptor, ServerInterceptingCall } from '@grpc/grpc-js';

/**
 * Longest status details sent, in bytes as they go on the wire: grpc-js percent-encodes them
 * (encodeURI) into the grpc-message trailer. Details that echo a huge request field (Promote's
 * incarnation, grpc.health.v1 Check's service name, 50 000 characters) passed the client's
 * header size limit (8 KiB), and the call never ended: the client waited out its deadline, and
 * the calls after it on the channel too. A non-ASCII character takes up to 12 bytes encoded,
 * so the limit is on the encoded form, not on characters.
 */
export const MAX_DETAILS_BYTES = 2048;

/** Room kept for the "… (N more characters cut)" suffix. */
const SUFFIX_BYTES = 64;

/** A lone UTF-16 surrogate: encodeURI throws on one, and that throw would end the node. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `details` that encode to at most MAX_DETAILS_BYTES, cut between characters, saying how much was cut. */
export function capDetails(details: string): string {
  const whole = details.replace(LONE_SURROGATE, '\uFFFD');
  if (encodeURI(whole).length <= MAX_DETAILS_BYTES) return whole;
  // Whole code points only, as many as fit: a cut inside a surrogate pair would not encode.
  const points = Array.from(whole);
  let fits = 0;
  let over = points.length;
  while (fits + 1 < over) {
    const mid = (fits + over) >> 1;
    if (encodeURI(points.slice(0, mid).join('')).length <= MAX_DETAILS_BYTES - SUFFIX_BYTES) fits = mid;
    else over = mid;
  }
  return `${points.slice(0, fits).join('')}… (${points.length - fits} more characters cut)`;
}

/** A server interceptor capping every status's details, those of handlers shoal does not write (health, reflection) too. */
export const capStatusDetails: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    sendStatus: (sent, next) => next({ ...sent, details: capDetails(sent.details) }),
  });
