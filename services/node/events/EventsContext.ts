import type { EventsConfig } from '../../../common/config/clusterConfig';
import type { NodeContext } from '../NodeContext';
import type { EventQueue } from './EventQueue';

/** What the Events RPCs need: the node, the queue, the events settings. */
export interface EventsContext {
  node: NodeContext;
  queue: EventQueue;
  config: EventsConfig;
}
