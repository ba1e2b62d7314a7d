import { type Metadata, status } from '@grpc/grpc-js';
import { timingSafeEqual } from 'node:crypto';
import { ServerError } from '../../common/grpc/ServerError';

/**
 * Checks `authorization: Bearer <token>` when the control plane has a token configured.
 * @throws UNAUTHENTICATED when it is missing or wrong.
 */
export function requireToken(metadata: Metadata, token: string, method: string): void {
  if (!token) return;
  const header = metadata.get('authorization')[0];
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
