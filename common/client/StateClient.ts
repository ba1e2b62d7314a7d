import { credentials, type ServiceError, status } from '@grpc/grpc-js';
import { type GetResponse, type ListResponse, StateClient as StateGrpcClient, type WriteResult } from '../../gen/shoal/v1/state';
import { NodeRole } from '../../gen/shoal/v1/node';
import { clusterMembers } from '../cluster/memberFromConsul';
import { readLeader } from '../cluster/leaderRecord';
import { PRIMARY_METADATA_KEY, WRITTEN_METADATA_KEY } from '../cluster/primaryMetadataKey';
import type { ConsulApi } from '../consul/ConsulApi';
import { Backoff } from '../net/Backoff';
import { unaryCall } from './grpcCall';

export interface StateClientOptions {
  consul: ConsulApi;
  cluster: string;
  /** Default deadline of one operation, retries included, ms. @default 10000 */
  deadlineMs?: number;
}

/**
 * A client of the replicated State API: finds the primary through Consul (the leader record),
 * follows a node's redirect to the primary (FAILED_PRECONDITION with `shoal-primary`), and
 * retries UNAVAILABLE with backoff until the deadline. A retried write that the primary had
 * already applied but not acknowledged is applied again (a later version of the same value).
 */
export class StateClient {
  private readonly clients = new Map<string, StateGrpcClient>();
  private primary: string | undefined;

  constructor(private readonly opts: StateClientOptions) {}

  put(key: string, value: Buffer, o: { expectedVersion?: number; deadlineMs?: number } = {}): Promise<WriteResult> {
    return this.onPrimary(o.deadlineMs, o.expectedVersion !== undefined, (c, deadline) => unaryCall<{ result?: WriteResult }>((m, opt, cb) => c.put({ key, value, expectedVersion: o.expectedVersion }, m, opt, cb), deadline)).then(
      (r) => r.result!,
    );
  }

  delete(key: string, o: { expectedVersion?: number; deadlineMs?: number } = {}): Promise<{ deleted: boolean; result?: WriteResult }> {
    return this.onPrimary(o.deadlineMs, o.expectedVersion !== undefined, (c, deadline) => unaryCall((m, opt, cb) => c.delete({ key, expectedVersion: o.expectedVersion }, m, opt, cb), deadline));
  }

  /** Reads from `address` when given (e.g. a replica), else from the primary. */
  get(key: string, o: { address?: string; minPosition?: number; deadlineMs?: number } = {}): Promise<GetResponse> {
    const call = (c: StateGrpcClient, deadline: number) => unaryCall<GetResponse>((m, opt, cb) => c.get({ key, minPosition: o.minPosition ?? 0 }, m, opt, cb), deadline);
    if (o.address) return call(this.client(o.address), Date.now() + (o.deadlineMs ?? this.deadline));
    return this.onPrimary(o.deadlineMs, false, call);
  }

  list(prefix: string, o: { address?: string; limit?: number; pageToken?: string; deadlineMs?: number } = {}): Promise<ListResponse> {
    const call = (c: StateGrpcClient, deadline: number) => unaryCall<ListResponse>((m, opt, cb) => c.list({ prefix, limit: o.limit ?? 0, pageToken: o.pageToken ?? '' }, m, opt, cb), deadline);
    if (o.address) return call(this.client(o.address), Date.now() + (o.deadlineMs ?? this.deadline));
    return this.onPrimary(o.deadlineMs, false, call);
  }

  /** The primary's address as this client last found it (Consul, or a node's redirect). */
  get primaryAddress(): string | undefined {
    return this.primary;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private get deadline(): number {
    return this.opts.deadlineMs ?? 10_000;
  }

  private client(address: string): StateGrpcClient {
    let c = this.clients.get(address);
    if (!c) {
      c = new StateGrpcClient(address, credentials.createInsecure());
      this.clients.set(address, c);
    }
    return c;
  }

  /** The primary's address: Consul's leader record, else the member tagged primary. */
  async findPrimary(): Promise<string> {
    const { record } = await readLeader(this.opts.consul, this.opts.cluster);
    if (record?.primaryAddress) return record.primaryAddress;
    const primary = (await clusterMembers(this.opts.consul, this.opts.cluster)).find((m) => m.role === NodeRole.NODE_ROLE_PRIMARY);
    if (!primary) throw Object.assign(new Error(`no primary in cluster ${this.opts.cluster} (Consul has no leader record and no node tagged primary)`), { code: status.UNAVAILABLE });
    return primary.grpcAddress;
  }

  /**
   * Runs `call` on the primary, following redirects and retrying UNAVAILABLE until the deadline.
   * A compare-and-set is retried only when the node said it wrote nothing: after an ack timeout
   * the first attempt may have been applied, and a retry would then fail its version check.
   */
  private async onPrimary<T>(deadlineMs: number | undefined, compareAndSet: boolean, call: (c: StateGrpcClient, deadline: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + (deadlineMs ?? this.deadline);
    const backoff = new Backoff({ initialMs: 50, maxMs: 1000 });
    let redirects = 0;
    for (;;) {
      try {
        this.primary ??= await this.findPrimary();
        return await call(this.client(this.primary), deadline);
      } catch (err) {
        const e = err as ServiceError;
        const redirect = e.code === status.FAILED_PRECONDITION ? e.metadata?.get(PRIMARY_METADATA_KEY)[0] : undefined;
        if (typeof redirect === 'string' && redirect !== this.primary && redirects < 5) {
          redirects += 1;
          this.primary = redirect;
          continue;
        }
        const nothingWritten = e.metadata?.get(WRITTEN_METADATA_KEY)[0] === 'false';
        // A redirect to where we already are is stale knowledge: ask Consul again.
        const retriable =
          (e.code === status.UNAVAILABLE && (!compareAndSet || nothingWritten)) || (e.code === status.FAILED_PRECONDITION && (!redirect || redirect === this.primary));
        const wait = backoff.next();
        if (!retriable || Date.now() + wait >= deadline) throw err;
        this.primary = undefined;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }
}
