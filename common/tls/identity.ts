/**
 * What a shoal certificate says its holder is. Permissions per RPC are decided by the kind;
 * the id names the process in logs. The identity is a URI subject alternative name in the
 * SPIFFE shape (`spiffe://shoal/<cluster>/<kind>/<id>`), so tools that understand SPIFFE IDs
 * show it as one, and the common name carries the id for those that do not.
 */
export const IDENTITY_KINDS = ['node', 'worker', 'control-plane', 'client', 'operator', 'consul'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

export interface Identity {
  cluster: string;
  kind: IdentityKind;
  /** A node's or instance's id; `*` for a certificate any process of its kind may hold. */
  id: string;
}

export function identityUri({ cluster, kind, id }: Identity): string {
  return `spiffe://shoal/${cluster}/${kind}/${id}`;
}

const URI = /^spiffe:\/\/shoal\/([^/]+)\/([^/]+)\/([^/]+)$/;

/**
 * The shoal identity among a certificate's subject alternative names, as Node's TLS gives them
 * (`URI:spiffe://…, DNS:localhost, IP Address:127.0.0.1`); undefined when it names none, or a
 * kind shoal does not know.
 */
export function identityOfSans(subjectAltName: string | undefined): Identity | undefined {
  for (const san of (subjectAltName ?? '').split(', ')) {
    if (!san.startsWith('URI:')) continue;
    const m = URI.exec(san.slice('URI:'.length));
    if (m && (IDENTITY_KINDS as readonly string[]).includes(m[2])) return { cluster: m[1], kind: m[2] as IdentityKind, id: m[3] };
  }
  return undefined;
}
