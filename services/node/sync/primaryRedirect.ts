import { Metadata } from '@grpc/grpc-js';
import { NodeRole } from '../../../gen/shoal/v1/node';
import { PRIMARY_METADATA_KEY } from '../../../common/cluster/primaryMetadataKey';
import { failedPrecondition, type ServerError } from '../../../common/grpc/ServerError';
import type { NodeContext } from '../NodeContext';
import type { Replication } from '../replication/Replication';


/** Where the primary is, as this node knows it: its replication, else the Consul membership. */
export function knownPrimary(ctx: NodeContext): string | undefined {
  const fromReplication = ctx.replication?.primaryAddress();
  if (fromReplication) return fromReplication;
  return ctx.membership.snapshot().members.find((m) => m.role === NodeRole.NODE_ROLE_PRIMARY)?.grpcAddress;
}

/** FAILED_PRECONDITION for a write (or primary-only call) that reached another node, with the primary's address. */
export function notPrimary(ctx: NodeContext, what: string): ServerError {
  const primary = knownPrimary(ctx);
  const metadata = new Metadata();
  // Always present (empty when no primary is known), so clients can tell this redirect from a
  // FAILED_PRECONDITION about the request itself.
  metadata.set(PRIMARY_METADATA_KEY, primary ?? '');
  const role = ctx.replication ? (ctx.replication.role === 'unknown' ? 'a node that has not found the primary yet' : `a ${ctx.replication.role}`) : 'a worker';
  return failedPrecondition(`${what} must go to the primary; ${ctx.identity.id} is ${role}${primary ? ` (primary: ${primary}, also in trailing metadata "${PRIMARY_METADATA_KEY}")` : '; no primary is known right now'}`, metadata);
}

/** The node's replication, or FAILED_PRECONDITION on a worker. */
export function stateOf(ctx: NodeContext, what: string): Replication {
  if (!ctx.replication) throw notPrimary(ctx, what);
  return ctx.replication;
}
