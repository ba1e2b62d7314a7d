import { type Metadata, status } from '@grpc/grpc-js';
import { type AuthContext, callerMay } from '../../common/grpc/authorizeCalls';
import { timingSafeEqual } from 'node:crypto';
import { ServerError } from '../../common/grpc/ServerError';

/**
 * Checks `authorization: Bearer <token>` when the control plane has a token configured, unless
 * the caller's certificate grants scale.change (an operator's or a control plane's): with TLS the
 * token is the alternative, not a second lock.
 * @throws UNAUTHENTICATED when it is missing or wrong.
 */
export function requireToken(call: { metadata: Metadata; getAuthContext(): AuthContext }, token: string, method: string): void {
  if (!token || callerMay(call.getAuthContext(), 'scale.change')) return;
  const header = call.metadata.get('authorization')[0];
  const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new ServerError(
      status.UNAUTHENTICATED,
      `${method} needs "authorization: Bearer <token>" with the control plane's token (controlPlane.token or SHOAL_CONTROL_PLANE_TOKEN)`,
    );
  }
}
