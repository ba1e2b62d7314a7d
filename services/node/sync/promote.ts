import { trace } from '@opentelemetry/api';
import type { PromoteRequest, PromoteResponse } from '../../../gen/shoal/v1/sync';
import { readLeader } from '../../../common/cluster/leaderRecord';
import { DomainError } from '../../../common/errors/DomainError';
import { failedPrecondition } from '../../../common/grpc/ServerError';
import type { SyncDeps } from './server';
import { replicationOf } from './primaryRedirect';

const tracer = trace.getTracer('shoal.replication');

/** Becomes the primary for the term Consul's leader record gives this node, and no other. */
export async function promote(deps: SyncDeps, request: PromoteRequest): Promise<PromoteResponse> {
  const r = replicationOf(deps, 'Promote');
  return tracer.startActiveSpan('sync.promote', { attributes: { 'shoal.term': request.term, 'shoal.node': deps.identity.id } }, async (span) => {
    try {
      // The caller chose this node from the position another start of it gave: it may lack what that one held.
      if (request.incarnation && request.incarnation !== deps.identity.incarnation) {
        throw failedPrecondition(
          `this is another start of ${deps.identity.id} (incarnation ${deps.identity.incarnation}, asked for ${request.incarnation}): ask its position again`,
        );
      }
      // Without Consul there is no telling which term is this node's: the caller may retry.
      const { record } = await readLeader(deps.consul, deps.identity.cluster).catch((err: Error) => {
        throw new DomainError('unavailable', `cannot read Consul's leader record to check term ${request.term}: ${err.message}`);
      });
      if (!record || record.primaryId !== deps.identity.id || record.term !== request.term) {
        const says = record ? `term ${record.term}, primary ${record.primaryId}` : 'no record';
        throw failedPrecondition(
          `Consul's leader record does not name ${deps.identity.id} primary for term ${request.term} (it says: ${says}); compare-and-set it first`,
        );
      }
      if (request.term < r.term) throw failedPrecondition(`term ${request.term} is older than this node's ${r.term}`);
      const start = await r.promote(request.term, record.reason || 'promoted');
      r.firstWrite.promoted(request.term, span.spanContext());
      span.setAttribute('shoal.start_position', start);
      return { term: request.term, startPosition: start };
    } finally {
      span.end();
    }
  });
}
