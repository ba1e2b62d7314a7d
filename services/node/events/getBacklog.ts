import type { GetBacklogResponse } from '../../../gen/shoal/v1/events';
import type { EventsContext } from './EventsContext';

export function getBacklog(ctx: EventsContext): GetBacklogResponse {
  return ctx.queue.backlog();
}
