import type { ListConflictsRequest, ListConflictsResponse } from '../../../gen/shoal/v1/sync';
import { invalidArgument } from '../../../common/grpc/ServerError';
import type { SyncDeps } from './server';
import { storedToProto } from '../replication/wire';
import { replicationOf } from './primaryRedirect';

export function listConflicts(deps: SyncDeps, request: ListConflictsRequest): ListConflictsResponse {
  if (request.limit > 1000) throw invalidArgument('limit must be at most 1000');
  const r = replicationOf(deps, 'ListConflicts');
  return {
    conflicts: r.store.conflicts(request.limit || 100).map((c) => ({
      resolvedAtUnixMs: c.resolvedAtMs,
      key: c.key,
      winner: c.winner && storedToProto(c.winner),
      loser: storedToProto(c.loser),
      reason: c.reason,
      resolvedBy: c.resolvedBy,
    })),
  };
}
