import type { ChannelCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { type ListConflictsResponse, SyncClient } from '../../gen/shoal/v1/sync';
import { unaryCall } from '../../common/client/grpcCall';
import { type ConflictView, conflictView, type NodeView } from './dashboardView';
import { CLIENT_LIMITS } from '../../common/grpc/transportLimits';

/** Latest resolutions fetched per node, and shown in all. */
const LATEST = 5;
/** After a failed fetch, how long before the node is asked again. */
const RETRY_MS = 5000;

/**
 * The conflicts the page lists. Each state node's status sample counts the conflicts it has
 * resolved; when a count grows, the node's latest resolutions (both versions) are fetched with
 * Sync.ListConflicts. So the nodes are asked only when there is something new.
 */
export class ConflictWatcher {
  private readonly known = new Map<string, number>();
  private readonly failedAt = new Map<string, number>();
  private readonly byNode = new Map<string, ConflictView[]>();
  private readonly clients = new Map<string, { address: string; client: SyncClient }>();

  constructor(
    private readonly logger: Logger,
    private readonly onChange: (latest: ConflictView[]) => void,
    private readonly credentials: ChannelCredentials,
  ) {}

  check(nodes: NodeView[]): void {
    for (const n of nodes) {
      const count = n.sample?.conflictsResolved ?? 0;
      if (count <= (this.known.get(n.id) ?? 0) || !n.address || Date.now() - (this.failedAt.get(n.id) ?? 0) < RETRY_MS) continue;
      this.known.set(n.id, count);
      void this.fetch(n.id, n.address);
    }
    // A node gone from the topology needs no channel.
    for (const [id, { client }] of this.clients) {
      if (nodes.some((n) => n.id === id)) continue;
      client.close();
      this.clients.delete(id);
    }
  }

  latest(): ConflictView[] {
    return [...this.byNode.values()]
      .flat()
      .sort((a, b) => b.resolvedAtMs - a.resolvedAtMs)
      .slice(0, LATEST);
  }

  close(): void {
    for (const { client } of this.clients.values()) client.close();
  }

  private async fetch(nodeId: string, address: string): Promise<void> {
    let entry = this.clients.get(nodeId);
    if (entry?.address !== address) {
      entry?.client.close();
      entry = { address, client: new SyncClient(address, this.credentials, CLIENT_LIMITS) };
      this.clients.set(nodeId, entry);
    }
    const { client } = entry;
    try {
      const { conflicts } = await unaryCall<ListConflictsResponse>(
        (md, options, cb) => client.listConflicts({ limit: LATEST }, md, options, cb),
        Date.now() + 5000,
      );
      this.byNode.set(
        nodeId,
        conflicts.map((c) => conflictView(nodeId, c)),
      );
      this.failedAt.delete(nodeId);
      this.onChange(this.latest());
    } catch (err) {
      // Asked again a little later; the count itself is on the page already.
      this.known.delete(nodeId);
      this.failedAt.set(nodeId, Date.now());
      this.logger.debug({ node: nodeId, err: (err as Error).message }, 'could not list conflicts');
    }
  }
}
