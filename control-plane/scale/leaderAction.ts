import { Metadata, type ServerUnaryCall, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ControlPlaneLeader } from '../../common/cluster/controlPlaneLeader';
import { PrimaryChangeError } from '../../common/cluster/changePrimary';
import { DomainError } from '../../common/errors/DomainError';
import { ServerError, unavailable } from '../../common/grpc/ServerError';
import { requireToken } from './bearerToken';

/** Trailing metadata naming the leader's gRPC address, for clients to redirect. */
export const LEADER_METADATA_KEY = 'shoal-control-plane-leader';

/** What a mutating Scale RPC checks before it acts. */
export interface LeaderGate {
  /** This instance's id. */
  id: string;
  /** Bearer token mutating RPCs require; empty: none required. */
  token: string;
  logger: Logger;
  isLeader(): boolean;
  leader(): ControlPlaneLeader | undefined;
  observer: { readonly blind: boolean };
}

/**
 * Runs a mutating Scale RPC: the bearer token first, then only on the leader while it sees
 * Consul (UNAVAILABLE otherwise, with the leader's address in `shoal-control-plane-leader`).
 * A domain error keeps its kind's status (toStatus); a primary change that cannot be made is
 * FAILED_PRECONDITION; any other failure of the action is ABORTED with its reason (the operator
 * needs it; the action may be half done).
 */
export async function leaderAction<T>(ctx: LeaderGate, method: string, call: ServerUnaryCall<unknown, unknown>, act: () => Promise<T>): Promise<T> {
  requireToken(call, ctx.token, method);
  if (!ctx.isLeader()) {
    const leader = ctx.leader();
    const metadata = new Metadata();
    if (leader) metadata.set(LEADER_METADATA_KEY, leader.grpcAddress);
    throw unavailable(
      `this control plane (${ctx.id}) is a standby; ${leader ? `the leader is ${leader.id} at ${leader.grpcAddress}` : 'no leader is elected yet'}`,
      metadata,
    );
  }
  if (ctx.observer.blind) throw unavailable(`this control plane cannot reach Consul now; it makes no changes until it can`);
  try {
    return await act();
  } catch (err) {
    if (err instanceof ServerError || err instanceof DomainError) throw err;
    if (err instanceof PrimaryChangeError) throw new ServerError(status.FAILED_PRECONDITION, err.message);
    ctx.logger.error({ err, method }, 'action failed');
    throw new ServerError(status.ABORTED, `${method} failed part-way: ${(err as Error).message}`);
  }
}
