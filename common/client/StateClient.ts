import { type ChannelCredentials, credentials } from '@grpc/grpc-js';
import { type GetResponse, type ListResponse, ReadConsistency, StateClient as StateGrpcClient, type WriteResult } from '../../gen/shoal/v1/state';
import type { ConsulApi } from '../consul/ConsulApi';
import { unaryCall } from './grpcCall';
import { PrimaryRouter } from './PrimaryRouter';
import { CLIENT_LIMITS } from '../grpc/transportLimits';

/** A read's consistency (docs/consistency.md): default and consistent go to the primary, stale to any node. */
export type Consistency = 'default' | 'consistent' | 'stale';

export const CONSISTENCIES: readonly Consistency[] = ['default', 'consistent', 'stale'];

/** A read mode's value on the wire. */
export const READ_CONSISTENCY: Readonly<Record<Consistency, ReadConsistency>> = {
  default: ReadConsistency.READ_CONSISTENCY_DEFAULT,
  consistent: ReadConsistency.READ_CONSISTENCY_CONSISTENT,
  stale: ReadConsistency.READ_CONSISTENCY_STALE,
};

/** Options of a read. */
export interface ReadOptions {
  /** @default 'default' */
  consistency?: Consistency;
  /** The node to read from (e.g. a replica); only for 'stale' reads. Without it, the primary. */
  address?: string;
  deadlineMs?: number;
}

export interface StateClientOptions {
  consul: ConsulApi;
  cluster: string;
  /** The nodes' TLS: the cluster's CA and this client's certificate (TransportSecurity.channel()). @default plaintext */
  credentials?: ChannelCredentials;
  /** Default deadline of one operation, retries included, ms. @default 10000 */
  deadlineMs?: number;
  /** How long an attempt goes unanswered before Consul is asked whether the primary moved (PrimaryRouter). @default 1500 */
  attemptTimeoutMs?: number;
}

/**
 * A client of the replicated State API: finds the primary through Consul (the leader record),
 * follows a node's redirect to the primary (FAILED_PRECONDITION with `shoal-primary`),
 * retries UNAVAILABLE with backoff, and leaves a primary that stopped answering for the one
 * Consul names (PrimaryRouter), until the deadline. A retried write that the primary had
 * already applied but not acknowledged is applied again (a later version of the same value).
 */
export class StateClient {
  private readonly router: PrimaryRouter<StateGrpcClient>;

  constructor(private readonly opts: StateClientOptions) {
    this.router = new PrimaryRouter({
      consul: opts.consul,
      cluster: opts.cluster,
      attemptTimeoutMs: opts.attemptTimeoutMs,
      connect: (address) => new StateGrpcClient(address, opts.credentials ?? credentials.createInsecure(), CLIENT_LIMITS),
    });
  }

  put(key: string, value: Buffer, o: { expectedVersion?: number; deadlineMs?: number } = {}): Promise<WriteResult> {
    return this.onPrimary(o.deadlineMs, o.expectedVersion !== undefined, (c, deadline, signal) =>
      unaryCall<{ result?: WriteResult }>((m, opt, cb) => c.put({ key, value, expectedVersion: o.expectedVersion }, m, opt, cb), deadline, signal),
    ).then((r) => r.result!);
  }

  delete(key: string, o: { expectedVersion?: number; deadlineMs?: number } = {}): Promise<{ deleted: boolean; result?: WriteResult }> {
    return this.onPrimary(o.deadlineMs, o.expectedVersion !== undefined, (c, deadline, signal) =>
      unaryCall((m, opt, cb) => c.delete({ key, expectedVersion: o.expectedVersion }, m, opt, cb), deadline, signal),
    );
  }

  /**
   * Reads a key. 'default' and 'consistent' reads go to the primary wherever it now is (a node
   * that became a replica redirects, the router follows); a 'stale' read goes to `address` when
   * given, else to the primary.
   * @throws Error when `address` is given for a read that is not 'stale'.
   */
  get(key: string, o: ReadOptions & { minPosition?: number } = {}): Promise<GetResponse> {
    const consistency = this.consistencyOf(o);
    return this.read(o, (c, deadline, signal) =>
      unaryCall<GetResponse>((m, opt, cb) => c.get({ key, minPosition: o.minPosition ?? 0, consistency }, m, opt, cb), deadline, signal),
    );
  }

  /** A page of keys under `prefix`, where `get` would read. */
  list(prefix: string, o: ReadOptions & { limit?: number; pageToken?: string } = {}): Promise<ListResponse> {
    const consistency = this.consistencyOf(o);
    return this.read(o, (c, deadline, signal) =>
      unaryCall<ListResponse>((m, opt, cb) => c.list({ prefix, limit: o.limit ?? 0, pageToken: o.pageToken ?? '', consistency }, m, opt, cb), deadline, signal),
    );
  }

  /** The primary's address as this client last found it (Consul, or a node's redirect). */
  get primaryAddress(): string | undefined {
    return this.router.primaryAddress;
  }

  /** Follows the leader record until close(), so calls move to a new primary as soon as it is named (long-lived clients). */
  followLeader(): void {
    this.router.follow();
  }

  close(): void {
    this.router.close();
  }

  /** The primary's address: Consul's leader record, else the member tagged primary. */
  findPrimary(): Promise<string> {
    return this.router.findPrimary();
  }

  private consistencyOf(o: ReadOptions): ReadConsistency {
    const mode = o.consistency ?? 'default';
    if (o.address && mode !== 'stale') throw new Error(`a ${mode} read goes to the primary; only a stale read names a node (${o.address})`);
    return READ_CONSISTENCY[mode];
  }

  private read<T>(o: ReadOptions, call: (c: StateGrpcClient, deadline: number, signal?: AbortSignal) => Promise<T>): Promise<T> {
    if (o.address) return call(this.router.client(o.address), Date.now() + (o.deadlineMs ?? this.deadline));
    return this.onPrimary(o.deadlineMs, false, call);
  }

  private get deadline(): number {
    return this.opts.deadlineMs ?? 10_000;
  }

  private onPrimary<T>(
    deadlineMs: number | undefined,
    compareAndSet: boolean,
    call: (c: StateGrpcClient, deadline: number, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return this.router.onPrimary(Date.now() + (deadlineMs ?? this.deadline), { compareAndSet }, call);
  }
}
