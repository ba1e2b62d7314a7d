import type { SyncServer } from '../../../gen/shoal/v1/sync';
import { rpcHandlers } from '../../../common/grpc/handlers';
import type { NodeContext } from '../NodeContext';
import { fence } from './fence';
import { follow } from './follow';
import { getBucket, getDigest } from './getDigest';
import { getPosition } from './getPosition';
import { listConflicts } from './listConflicts';
import { promote } from './promote';
import { reconcile } from './reconcile';
import { replicate } from './replicate';

/**
 * shoal.v1.Sync: one function per RPC, in the file named after it (GetBucket beside GetDigest).
 * `reconciled` hears the keys a Reconcile wrote (the events queue takes in event records).
 */
export function syncServer(ctx: NodeContext, reconciled: (keys: string[]) => void): SyncServer {
  const { unary } = rpcHandlers({ logger: ctx.logger, stopping: ctx.lifecycle.drainSignal });
  return {
    replicate: (call) => replicate(ctx, call),
    getPosition: unary('GetPosition', (request) => getPosition(ctx, request)),
    fence: unary('Fence', (request) => fence(ctx, request)),
    promote: unary('Promote', (request) => promote(ctx, request)),
    follow: unary('Follow', (request) => follow(ctx, request)),
    reconcile: unary('Reconcile', (request) => reconcile(ctx, request, reconciled)),
    getDigest: unary('GetDigest', (request) => getDigest(ctx, request)),
    getBucket: unary('GetBucket', (request) => getBucket(ctx, request)),
    listConflicts: unary('ListConflicts', (request) => listConflicts(ctx, request)),
  };
}
