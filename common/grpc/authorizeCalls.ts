import { type Metadata, type ServerInterceptingCallInterface, type ServerInterceptor, ServerInterceptingCall, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { identityOfSans, identityUri } from '../tls/identity';
import { kindMay, type Permission, PERMISSIONS, permissionFor } from '../tls/permissions';

/** What TLS says of a call's peer (grpc-js's AuthContext, which it does not export). */
export type AuthContext = ReturnType<ServerInterceptingCallInterface['getAuthContext']>;

export interface AuthorizeOptions {
  /** The cluster whose certificates are let in: one CA may sign several clusters' certificates. */
  cluster: string;
  logger: Logger;
  /** scale.change may instead be shown by the control plane's bearer token (checked by the handler). */
  bearerForScale?: boolean;
}

/**
 * A server interceptor that decides every call by the caller's certificate and the permission
 * table (common/tls/permissions.ts), before the handler sees it: PERMISSION_DENIED naming the
 * permission, the caller and who holds it. TLS has already refused a caller without a
 * certificate of the cluster's CA at the handshake. On a plaintext server there is no caller to
 * know, so every call goes on (a process serves plaintext beyond loopback only with --insecure).
 */
export function authorizeCalls(opts: AuthorizeOptions): ServerInterceptor {
  return (method, call) => {
    const auth = call.getAuthContext();
    if (auth.transportSecurityType !== 'ssl') return new ServerInterceptingCall(call);
    const denial = (metadata: Metadata): string | undefined => {
      const identity = identityOfSans(auth.sslPeerCertificate?.subjectaltname);
      if (!identity) return `the caller's certificate names no shoal identity (a URI SAN spiffe://shoal/<cluster>/<kind>/<id>, as shoal certs create makes)`;
      if (identity.cluster !== opts.cluster)
        return `the caller's certificate (${identityUri(identity)}) is for cluster ${identity.cluster}, not ${opts.cluster}`;
      const permission = permissionFor(method.path);
      if (!permission) return `${method.path} is in no permission of shoal's table`;
      if (kindMay(identity.kind, permission)) return undefined;
      if (permission === 'scale.change' && opts.bearerForScale && metadata.get('authorization').length > 0) return undefined;
      return `${method.path} needs permission ${permission} (held by ${PERMISSIONS[permission].join(', ')}); the caller ${identityUri(identity)} (kind ${identity.kind}) does not hold it`;
    };
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, pass) => {
            const denied = denial(metadata);
            if (denied === undefined) return pass(metadata);
            opts.logger.warn({ method: method.path, peer: call.getPeer() }, `refused a call: ${denied}`);
            call.sendStatus({ code: status.PERMISSION_DENIED, details: denied });
          },
        });
      },
    });
  };
}

/** Whether a call's certificate grants `permission` (false in plaintext: there is no certificate). */
export function callerMay(auth: AuthContext, permission: Permission): boolean {
  const identity = auth.transportSecurityType === 'ssl' ? identityOfSans(auth.sslPeerCertificate?.subjectaltname) : undefined;
  return identity !== undefined && kindMay(identity.kind, permission);
}
