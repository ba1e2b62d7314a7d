import type { Logger } from 'pino';
import type { EventQueueDeps } from '../../services/node/events/EventQueue';
import { AckTracker } from '../../services/node/replication/AckTracker';
import { EntryFeed } from '../../services/node/replication/EntryFeed';
import { FirstWriteInTerm } from '../../services/node/replication/FirstWriteInTerm';
import { PrimaryWriter } from '../../services/node/replication/PrimaryWriter';
import { HybridClock } from '../../services/node/store/hybridClock';
import type { StateStore } from '../../services/node/store/StateStore';

/**
 * What EventQueue and the write path read of a node, for a primary of term 1 alone on `store`:
 * no replica connected (minAcks 0), the default ack timeout, and no other node a redirect could
 * name. For in-process tests and benchmarks of the primary's own code.
 */
export function lonePrimary(store: StateStore, logger: Logger): { deps: EventQueueDeps; writer: PrimaryWriter } {
  const writer = new PrimaryWriter(store, new EntryFeed(store), new AckTracker(0), new HybridClock(), 'primary', 1, logger);
  const deps: EventQueueDeps = {
    identity: { id: 'primary' },
    replication: { role: 'primary', term: 1, store, writer, firstWrite: new FirstWriteInTerm(), primaryAddress: () => undefined, assertLease: () => undefined },
    membership: { snapshot: () => ({ members: [] }) },
    sync: { minAcks: 0, ackTimeout: 5000 },
    logger,
  };
  return { deps, writer };
}
