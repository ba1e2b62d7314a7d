import type { GetBucketRequest, GetBucketResponse, GetDigestRequest, GetDigestResponse } from '../../../gen/shoal/v1/sync';
import { failedPrecondition, invalidArgument } from '../../../common/grpc/ServerError';
import type { SyncDeps } from './server';
import type { Replication } from '../replication/Replication';
import { BUCKETS } from '../store/StateStore';
import { storedToProto } from '../replication/wire';
import { notPrimary, replicationOf } from './primaryRedirect';

/**
 * The primary, able to say which keys changed after `atPosition`: its log must still hold every
 * entry since, or a key purged meanwhile (no row left to show it) would look like drift.
 */
function primaryFor(deps: SyncDeps, what: string, term: number, atPosition: number): Replication {
  const r = replicationOf(deps, what);
  if (r.role !== 'primary') throw notPrimary(deps, what);
  if (term !== r.term) throw failedPrecondition(`term ${term} is not this primary's term ${r.term}`);
  if (atPosition > r.store.lastPosition) throw invalidArgument(`at_position ${atPosition} is past this primary's log, which ends at ${r.store.lastPosition}`);
  const retained = r.store.firstRetained();
  if (atPosition + 1 < retained)
    throw failedPrecondition(`position ${atPosition} is behind this primary's log, which starts at ${retained}; compare once caught up`);
  return r;
}

export function getDigest(deps: SyncDeps, request: GetDigestRequest): GetDigestResponse {
  const r = primaryFor(deps, 'GetDigest', request.term, request.atPosition);
  const changed = r.store.changedAfter(request.atPosition);
  return { term: r.term, buckets: r.store.digests(new Set(changed)), changedKeys: changed };
}

export async function getBucket(deps: SyncDeps, request: GetBucketRequest): Promise<GetBucketResponse> {
  if (request.bucket >= BUCKETS) throw invalidArgument(`bucket must be below ${BUCKETS}`);
  const r = primaryFor(deps, 'GetBucket', request.term, request.atPosition);
  const changed = r.store.changedAfter(request.atPosition);
  return { values: (await r.store.bucketValues(request.bucket, request.atPosition, new Set(changed))).map(storedToProto), changedKeys: changed };
}
