import { type Client, type ServiceError, status } from '@grpc/grpc-js';
import { NodeRole } from '../../gen/shoal/v1/node';
import { clusterMembers } from '../cluster/memberFromConsul';
import { readLeader } from '../cluster/leaderRecord';
import { PRIMARY_METADATA_KEY, WRITTEN_METADATA_KEY } from '../cluster/primaryMetadataKey';
import type { ConsulApi } from '../consul/ConsulApi';
import { Backoff } from '../net/Backoff';

export interface PrimaryRouterOptions<C extends Client> {
  consul: ConsulApi;
  cluster: string;
  /** A gRPC client of the service to call, for one address. */
  connect: (address: string) => C;
}

/**
 * Calls a primary-only service: finds the primary through Consul (the leader record), follows
 * a node's redirect (FAILED_PRECONDITION with `shoal-primary`), and retries UNAVAILABLE with
 * backoff until the deadline. Shared by the State and Events clients.
 */
export class PrimaryRouter<C extends Client> {
  private readonly clients = new Map<string, C>();
  private primary: string | undefined;

  constructor(private readonly opts: PrimaryRouterOptions<C>) {}

  /** The primary's address as last found (Consul, or a node's redirect). */
  get primaryAddress(): string | undefined {
    return this.primary;
  }

  client(address: string): C {
    let c = this.clients.get(address);
    if (!c) {
      c = this.opts.connect(address);
      this.clients.set(address, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  /** The primary's address: Consul's leader record, else the member tagged primary. */
  async findPrimary(): Promise<string> {
    const { record } = await readLeader(this.opts.consul, this.opts.cluster);
    if (record?.primaryAddress) return record.primaryAddress;
    const primary = (await clusterMembers(this.opts.consul, this.opts.cluster)).find((m) => m.role === NodeRole.NODE_ROLE_PRIMARY);
    if (!primary)
      throw Object.assign(new Error(`no primary in cluster ${this.opts.cluster} (Consul has no leader record and no node tagged primary)`), {
        code: status.UNAVAILABLE,
      });
    return primary.grpcAddress;
  }

  /**
   * Runs `call` on the primary, following redirects and retrying UNAVAILABLE until `deadline`.
   * A compare-and-set is retried only when the node said it wrote nothing: after an ack timeout
   * the first attempt may have been applied, and a retry would then fail its version check.
   */
  async onPrimary<T>(deadline: number, compareAndSet: boolean, call: (c: C, deadline: number) => Promise<T>): Promise<T> {
    const backoff = new Backoff({ initialMs: 50, maxMs: 1000 });
    let redirects = 0;
    for (;;) {
      try {
        this.primary ??= await this.findPrimary();
        return await call(this.client(this.primary), deadline);
      } catch (err) {
        const e = err as ServiceError;
        // A node that is not the primary says so with `shoal-primary` (empty when it knows of none);
        // any other FAILED_PRECONDITION is about the request and is not retried.
        const notPrimary = e.code === status.FAILED_PRECONDITION && (e.metadata?.get(PRIMARY_METADATA_KEY).length ?? 0) > 0;
        const redirect = notPrimary ? e.metadata.get(PRIMARY_METADATA_KEY)[0] || undefined : undefined;
        if (typeof redirect === 'string' && redirect !== this.primary && redirects < 5) {
          redirects += 1;
          this.primary = redirect;
          continue;
        }
        // The node said so, or the call never left this process (no connection to the node).
        const nothingWritten =
          e.metadata?.get(WRITTEN_METADATA_KEY)[0] === 'false' || (e.code === status.UNAVAILABLE && /^No connection established/.test(e.details ?? ''));
        // A redirect to where we already are is stale knowledge: ask Consul again.
        const retriable = (e.code === status.UNAVAILABLE && (!compareAndSet || nothingWritten)) || (notPrimary && (!redirect || redirect === this.primary));
        const wait = backoff.next();
        if (!retriable || Date.now() + wait >= deadline) throw err;
        this.primary = undefined;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }
}
