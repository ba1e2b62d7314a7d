import { type Client, type ServiceError, status } from '@grpc/grpc-js';
import { NodeRole } from '../../gen/shoal/v1/node';
import { clusterMembers } from '../cluster/memberFromConsul';
import { readLeader } from '../cluster/leaderRecord';
import { PRIMARY_METADATA_KEY, WRITTEN_METADATA_KEY } from '../cluster/primaryMetadataKey';
import type { ConsulApi } from '../consul/ConsulApi';
import { Backoff } from '../net/Backoff';
import { LeaderFollower } from './LeaderFollower';

/**
 * How long an attempt may go unanswered (beyond what the node holds it by design, a lease's
 * wait) before the router asks Consul whether the primary moved. A primary whose host vanished
 * closes no socket: without this, a call to it waits for its whole deadline.
 */
export const ATTEMPT_TIMEOUT_MS = 1500;
/** How often an overdue attempt asks again while the record still names its node. */
const RECHECK_MS = 500;
/** Longest a read of the leader record may take when a call needs it. */
const LEADER_READ_TIMEOUT_MS = 2000;

export interface PrimaryRouterOptions<C extends Client> {
  consul: ConsulApi;
  cluster: string;
  /** A gRPC client of the service to call, for one address. */
  connect: (address: string) => C;
  /** See ATTEMPT_TIMEOUT_MS. @default 1500 */
  attemptTimeoutMs?: number;
}

/** What the router must know of a call to retry it safely. */
export interface CallShape {
  /** A compare-and-set: retried only when the node said it wrote nothing. */
  compareAndSet?: boolean;
  /** How long the node holds the call by design (a lease's wait), ms. @default 0 */
  serverWaitMs?: number;
}

/** The primary changed while an attempt waited on the old one; the attempt was cancelled. */
class PrimaryMoved extends Error {
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`the primary moved from ${from} to ${to}`);
  }
}

/**
 * Calls a primary-only service: finds the primary through Consul (the leader record), follows
 * a node's redirect (FAILED_PRECONDITION with `shoal-primary`), and retries UNAVAILABLE with
 * backoff until the deadline. Shared by the State and Events clients.
 *
 * An attempt is sent with the call's whole deadline: the node uses it to wait for replica acks
 * (sync.ackTimeout applies only to calls without one), and cutting a slow write short to send it
 * again would apply it twice. Instead, an attempt moves only when the primary does: whenever the
 * router learns that the leader record names another node, the attempt is cancelled, the old
 * node's connection dropped, and the call sent to the new primary. It learns it from a blocking
 * query at once with `follow()` (a long-lived client), and otherwise from a read of the record
 * that an attempt unanswered after `attemptTimeoutMs` makes (again every 500 ms). A
 * compare-and-set cancelled that way may have been applied: it fails, saying so.
 */
export class PrimaryRouter<C extends Client> {
  private readonly clients = new Map<string, C>();
  private primary: string | undefined;
  private follower: LeaderFollower | undefined;
  /** Attempts in flight, told when the cached primary changes. */
  private readonly moveListeners = new Set<(address: string) => void>();
  /** One read of the leader record at a time, shared by every attempt that needs it. */
  private refreshing: Promise<string | undefined> | undefined;

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

  /** Follows the leader record in the background until close(), for a client that lives long. */
  follow(): void {
    this.follower ??= new LeaderFollower({ consul: this.opts.consul, cluster: this.opts.cluster, onPrimary: (address) => this.moveTo(address) });
    this.follower.start();
  }

  close(): void {
    void this.follower?.stop();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  /** The primary's address: Consul's leader record, else the member tagged primary. */
  async findPrimary(timeoutMs = 5000): Promise<string> {
    const { record } = await readLeader(this.opts.consul, this.opts.cluster, { timeoutMs });
    if (record?.primaryAddress) return record.primaryAddress;
    const primary = (await clusterMembers(this.opts.consul, this.opts.cluster)).find((m) => m.role === NodeRole.NODE_ROLE_PRIMARY);
    if (!primary)
      throw Object.assign(new Error(`no primary in cluster ${this.opts.cluster} (Consul has no leader record and no node tagged primary)`), {
        code: status.UNAVAILABLE,
      });
    return primary.grpcAddress;
  }

  /**
   * Runs `call` on the primary, following redirects, moving with the primary and retrying
   * UNAVAILABLE until `deadline`. A compare-and-set is retried only when the node said it wrote
   * nothing: after an ack timeout the first attempt may have been applied, and a retry would
   * then fail its version check.
   */
  async onPrimary<T>(deadline: number, shape: CallShape, call: (c: C, deadline: number, signal: AbortSignal) => Promise<T>): Promise<T> {
    const backoff = new Backoff({ initialMs: 50, maxMs: 1000 });
    let redirects = 0;
    for (;;) {
      try {
        this.primary ??= await this.findPrimary(Math.max(1, Math.min(LEADER_READ_TIMEOUT_MS, deadline - Date.now())));
        return await this.attempt(this.primary, deadline, shape.serverWaitMs ?? 0, call);
      } catch (err) {
        if (err instanceof PrimaryMoved) {
          if (shape.compareAndSet) {
            throw Object.assign(
              new Error(
                `outcome unknown: the compare-and-set sent to ${err.from} got no answer before the primary moved to ${err.to}; it may or may not have been applied (read the key to find out)`,
              ),
              { code: status.UNKNOWN, details: 'outcome unknown: the primary moved while the compare-and-set waited for an answer' },
            );
          }
          continue;
        }
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
        const retriable =
          (e.code === status.UNAVAILABLE && (!shape.compareAndSet || nothingWritten)) || (notPrimary && (!redirect || redirect === this.primary));
        const wait = backoff.next();
        if (!retriable || Date.now() + wait >= deadline) throw err;
        this.primary = undefined;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /**
   * One attempt on `address` with the call's deadline, cancelled (PrimaryMoved) as soon as the
   * cached primary is another node; once overdue, it asks Consul about that itself.
   */
  private async attempt<T>(
    address: string,
    deadline: number,
    serverWaitMs: number,
    call: (c: C, deadline: number, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const abandon = new AbortController();
    let moved: PrimaryMoved | undefined;
    const onMove = (to: string) => {
      if (to === address || moved) return;
      moved = new PrimaryMoved(address, to);
      abandon.abort();
    };
    this.moveListeners.add(onMove);
    let timer: NodeJS.Timeout | undefined;
    const recheck = () => {
      if (this.primary !== undefined && this.primary !== address) return onMove(this.primary);
      void this.refresh().then(() => {
        if (!moved && !abandon.signal.aborted) timer = setTimeout(recheck, RECHECK_MS);
      });
    };
    timer = setTimeout(recheck, serverWaitMs + (this.opts.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS));
    try {
      return await call(this.client(address), deadline, abandon.signal);
    } catch (err) {
      if (!moved) throw err;
      // The old node may hang on a connection that will never answer: start afresh should it come back.
      this.clients.get(address)?.close();
      this.clients.delete(address);
      throw moved;
    } finally {
      clearTimeout(timer);
      this.moveListeners.delete(onMove);
    }
  }

  /** Reads the leader record (one read shared by every caller) and moves to what it names. */
  private refresh(): Promise<string | undefined> {
    this.refreshing ??= this.findPrimary(LEADER_READ_TIMEOUT_MS)
      .then(
        (address) => (this.moveTo(address), address),
        () => undefined,
      )
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private moveTo(address: string): void {
    if (address === this.primary) return;
    this.primary = address;
    for (const listener of [...this.moveListeners]) listener(address);
  }
}
