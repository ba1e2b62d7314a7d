import type { Member } from '../../../gen/shoal/v1/discovery';
import { NodeRole } from '../../../gen/shoal/v1/node';
import { PRIMARY_METADATA_KEY } from '../../../common/cluster/primaryMetadataKey';
import { DomainError } from '../../../common/errors/DomainError';
import type { NodeIdentity } from '../NodeIdentity';
import type { Replication } from '../replication/Replication';

/** What a redirect reads of the node's replication: its role, and where it knows the primary to be. */
export type RedirectReplication = Pick<Replication, 'role' | 'primaryAddress'>;

/**
 * What a redirect to the primary needs: who this node is, its replication (undefined on a
 * worker) and the members Consul lists. `R` is the caller's view of the replication, which
 * `replicationOf` hands back.
 */
export interface RedirectDeps<R extends RedirectReplication = RedirectReplication> {
  identity: Pick<NodeIdentity, 'id'>;
  replication: R | undefined;
  membership: { snapshot(): { members: readonly Pick<Member, 'role' | 'grpcAddress'>[] } };
}

/** Where the primary is, as this node knows it: its replication, else the Consul membership. */
export function knownPrimary(deps: RedirectDeps): string | undefined {
  const fromReplication = deps.replication?.primaryAddress();
  if (fromReplication) return fromReplication;
  return deps.membership.snapshot().members.find((m) => m.role === NodeRole.NODE_ROLE_PRIMARY)?.grpcAddress;
}

/**
 * The 'precondition' error (FAILED_PRECONDITION) for a write, or a primary-only call, that
 * reached another node. Its hint PRIMARY_METADATA_KEY holds the primary's address; it is always
 * there (empty when no primary is known), so clients can tell this redirect from a
 * FAILED_PRECONDITION about the request itself.
 */
export function notPrimary(deps: RedirectDeps, what: string): DomainError {
  const primary = knownPrimary(deps);
  const r = deps.replication;
  const role = r ? (r.role === 'unknown' ? 'a node that has not found the primary yet' : `a ${r.role}`) : 'a worker';
  const where = primary ? ` (primary: ${primary}, also in trailing metadata "${PRIMARY_METADATA_KEY}")` : '; no primary is known right now';
  return new DomainError('precondition', `${what} must go to the primary; ${deps.identity.id} is ${role}${where}`, { [PRIMARY_METADATA_KEY]: primary ?? '' });
}

/**
 * The node's replication. Throws the `notPrimary` redirect on a worker, which holds no state:
 * `what` names the call in its message.
 */
export function replicationOf<R extends RedirectReplication>(deps: RedirectDeps<R>, what: string): R {
  if (!deps.replication) throw notPrimary(deps, what);
  return deps.replication;
}

/**
 * The node's replication for a read (State Get, List, Watch; event leases): as replicationOf,
 * and refused with UNAVAILABLE on a primary whose lease ran out (Replication.assertLease), the
 * one place reads check it.
 */
export function readableReplication<R extends RedirectReplication & Pick<Replication, 'assertLease'>>(deps: RedirectDeps<R>, what: string): R {
  const r = replicationOf(deps, what);
  r.assertLease();
  return r;
}
