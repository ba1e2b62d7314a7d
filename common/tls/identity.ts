/**
 * What a shoal certificate says its holder is. Permissions per RPC are decided by the kind;
 * the id names the process in logs. The identity is a URI subject alternative name in the
 * SPIFFE shape (`spiffe://shoal/<cluster>/<kind>/<id>`), so tools that understand SPIFFE IDs
 * show it as one, and the common name carries the id for those that do not.
 */
export const IDENTITY_KINDS = ['node', 'worker', 'control-plane', 'client', 'operator'] as const;
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
