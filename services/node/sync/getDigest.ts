import type { GetBucketRequest, GetBucketResponse, GetDigestRequest, GetDigestResponse } from '../../../gen/shoal/v1/sync';
import { failedPrecondition, invalidArgument } from '../../../common/grpc/ServerError';
import type { NodeContext } from '../NodeContext';
import type { Replication } from '../replication/Replication';
import { BUCKETS } from '../store/StateStore';
import { storedToProto } from '../replication/wire';
import { notPrimary, stateOf } from './primaryRedirect';

function primaryFor(ctx: NodeContext, what: string, term: number): Replication {
  const r = stateOf(ctx, what);
  if (r.role !== 'primary') throw notPrimary(ctx, what);
  if (term !== r.term) throw failedPrecondition(`term ${term} is not this primary's term ${r.term}`);
  return r;
}

export function getDigest(ctx: NodeContext, request: GetDigestRequest): GetDigestResponse {
  const r = primaryFor(ctx, 'GetDigest', request.term);
  const changed = r.store.changedAfter(request.atPosition);
  return { term: r.term, buckets: r.store.digests(new Set(changed)), changedKeys: changed };
}

export async function getBucket(ctx: NodeContext, request: GetBucketRequest): Promise<GetBucketResponse> {
  if (request.bucket >= BUCKETS) throw invalidArgument(`bucket must be below ${BUCKETS}`);
  const r = primaryFor(ctx, 'GetBucket', request.term);
  const changed = r.store.changedAfter(request.atPosition);
  return { values: (await r.store.bucketValues(request.bucket, request.atPosition, new Set(changed))).map(storedToProto), changedKeys: changed };
}
