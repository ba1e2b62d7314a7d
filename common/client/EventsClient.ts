import { type ChannelCredentials, credentials } from '@grpc/grpc-js';
import {
  type AckRequest,
  type AckResponse,
  type AckResult,
  type Event,
  EventsClient as EventsGrpcClient,
  type GetBacklogResponse,
  type LeasedEvent,
  type PublishRequest,
  type PublishResponse,
} from '../../gen/shoal/v1/events';
import type { ConsulApi } from '../consul/ConsulApi';
import { unaryCall } from './grpcCall';
import { PrimaryRouter } from './PrimaryRouter';
import { CLIENT_LIMITS } from '../grpc/transportLimits';

/**
 * A client of shoal.v1.Events, on whichever node is primary (found through Consul, redirects
 * followed, UNAVAILABLE retried and a primary that stopped answering left for the one Consul
 * names, until the deadline: PrimaryRouter). Used by workers, the CLI and tests.
 */
export class EventsClient {
  private readonly router: PrimaryRouter<EventsGrpcClient>;

  /** @param opts.credentials the nodes' TLS (TransportSecurity.channel()); plaintext by default. */
  constructor(opts: { consul: ConsulApi; cluster: string; attemptTimeoutMs?: number; credentials?: ChannelCredentials }) {
    this.router = new PrimaryRouter({
      consul: opts.consul,
      cluster: opts.cluster,
      attemptTimeoutMs: opts.attemptTimeoutMs,
      connect: (address) => new EventsGrpcClient(address, opts.credentials ?? credentials.createInsecure(), CLIENT_LIMITS),
    });
  }

  /** Publishes; a retry after an ack timeout may publish twice unless the request has an idempotency key. */
  publish(request: Partial<PublishRequest> & { type: string }, deadlineMs = 10_000): Promise<PublishResponse> {
    const req: PublishRequest = { key: '', payload: Buffer.alloc(0), idempotencyKey: '', ...request };
    return this.router.onPrimary(Date.now() + deadlineMs, {}, (c, d, s) => unaryCall<PublishResponse>((m, o, cb) => c.publish(req, m, o, cb), d, s));
  }

  publishBatch(requests: (Partial<PublishRequest> & { type: string })[], deadlineMs = 10_000): Promise<PublishResponse[]> {
    const events = requests.map((r) => ({ key: '', payload: Buffer.alloc(0), idempotencyKey: '', ...r }));
    return this.router
      .onPrimary(Date.now() + deadlineMs, {}, (c, d, s) => unaryCall<{ results: PublishResponse[] }>((m, o, cb) => c.publishBatch({ events }, m, o, cb), d, s))
      .then((r) => r.results);
  }

  /** Leases; the call waits up to `waitMs` on the primary, so its deadline allows for that. */
  lease(workerId: string, maxEvents: number, waitMs: number, leaseMs = 0): Promise<LeasedEvent[]> {
    return this.router
      .onPrimary(Date.now() + waitMs + 5000, { serverWaitMs: waitMs }, (c, d, s) =>
        unaryCall<{ events: LeasedEvent[] }>((m, o, cb) => c.lease({ workerId, maxEvents, waitMs, leaseMs }, m, o, cb), d, s),
      )
      .then((r) => r.events);
  }

  ack(request: AckRequest, deadlineMs = 10_000): Promise<AckResponse> {
    return this.router.onPrimary(Date.now() + deadlineMs, {}, (c, d, s) => unaryCall<AckResponse>((m, o, cb) => c.ack(request, m, o, cb), d, s));
  }

  /** Several acks in one call; one result per ack, in order (each has its own status code). */
  ackBatch(acks: AckRequest[], deadlineMs = 10_000): Promise<AckResult[]> {
    return this.router
      .onPrimary(Date.now() + deadlineMs, {}, (c, d, s) => unaryCall<{ results: AckResult[] }>((m, o, cb) => c.ackBatch({ acks }, m, o, cb), d, s))
      .then((r) => r.results);
  }

  releaseWorker(workerId: string, reason: string, deadlineMs = 5000): Promise<number> {
    return this.router
      .onPrimary(Date.now() + deadlineMs, {}, (c, d, s) => unaryCall<{ released: number }>((m, o, cb) => c.releaseWorker({ workerId, reason }, m, o, cb), d, s))
      .then((r) => r.released);
  }

  backlog(deadlineMs = 5000): Promise<GetBacklogResponse> {
    return this.router.onPrimary(Date.now() + deadlineMs, {}, (c, d, s) => unaryCall<GetBacklogResponse>((m, o, cb) => c.getBacklog({}, m, o, cb), d, s));
  }

  deadLetters(limit = 100, deadlineMs = 5000): Promise<Event[]> {
    return this.router
      .onPrimary(Date.now() + deadlineMs, {}, (c, d, s) => unaryCall<{ events: Event[] }>((m, o, cb) => c.listDeadLetters({ limit }, m, o, cb), d, s))
      .then((r) => r.events);
  }

  redrive(eventId: string, deadlineMs = 10_000): Promise<Event | undefined> {
    return this.router
      .onPrimary(Date.now() + deadlineMs, {}, (c, d, s) => unaryCall<{ event?: Event }>((m, o, cb) => c.redrive({ eventId }, m, o, cb), d, s))
      .then((r) => r.event);
  }

  /** Follows the leader record until close(), so calls move to a new primary as soon as it is named (long-lived clients). */
  followLeader(): void {
    this.router.follow();
  }

  /** The primary's address as this client last found it. */
  get primaryAddress(): string | undefined {
    return this.router.primaryAddress;
  }

  close(): void {
    this.router.close();
  }
}
