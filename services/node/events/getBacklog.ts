import type { GetBacklogResponse } from '../../../gen/shoal/v1/events';
import type { EventsDeps } from './server';

/** What the queue holds: pending, leased (per worker), dead, done. */
export function getBacklog(deps: Pick<EventsDeps, 'queue'>): GetBacklogResponse {
  return deps.queue.backlog();
}
