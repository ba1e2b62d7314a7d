import type { Logger } from 'pino';
import type { TransportSecurity } from '../../common/tls/TransportSecurity';
import { nodeInfo } from '../../common/client/nodeInfo';
import { type ConsulApi, ConsulRefused, serviceNameOf } from '../../common/consul/ConsulApi';
import type { ClusterConfig } from '../../common/config/clusterConfig';
import { Backoff } from '../../common/net/Backoff';
import type { NodeIdentity } from './NodeIdentity';

/** Another live node already holds this node's id in Consul. */
export class DuplicateNodeError extends Error {}

/**
 * Keeps this node registered in Consul: service ID = node id, tags = [role], meta = ports,
 * version and incarnation, and a GRPC check that Consul runs against grpc.health.v1. Registration retries with
 * backoff while Consul is unreachable, so a node can start before Consul and keeps serving
 * while Consul is away.
 */
export class ConsulRegistration {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private registered = false;

  constructor(
    private readonly consul: ConsulApi,
    private readonly config: ClusterConfig,
    private readonly identity: NodeIdentity,
    private readonly logger: Logger,
    private readonly onRegistered: (registered: boolean) => void,
    private readonly transport: TransportSecurity,
  ) {}

  /**
   * Registers in the background, retrying until it succeeds. Calls `onDuplicate` instead if
   * another live node holds this id; the caller should then stop.
   */
  ensureRegistered(onDuplicate: (err: DuplicateNodeError) => void): void {
    if (this.running) return;
    this.running = this.registerWithRetry(onDuplicate).finally(() => (this.running = undefined));
  }

  /** Registers again with the current identity (its role changed), if registered already. */
  refresh(): void {
    if (!this.registered || this.stopping.signal.aborted) return;
    this.consul.registerService(this.registration()).then(
      () => this.logger.info({ role: this.identity.role }, 'updated the role tag in Consul'),
      (err: Error) => {
        this.logger.warn({ err: err.message }, 'could not update the role tag in Consul; retrying');
        this.lost(() => undefined);
      },
    );
  }

  /** Marks the registration lost (e.g. Consul restarted empty) and registers again. */
  lost(onDuplicate: (err: DuplicateNodeError) => void): void {
    if (this.stopping.signal.aborted) return;
    this.registered = false;
    this.onRegistered(false);
    this.ensureRegistered(onDuplicate);
  }

  /**
   * Stops retrying and removes the registration (best effort, bounded by `timeoutMs`). Does
   * nothing if this node never registered: the id in Consul may be another node's.
   */
  async deregister(timeoutMs = 2000): Promise<void> {
    this.stopping.abort();
    await this.running;
    if (!this.registered) return;
    try {
      await this.consul.deregisterService(this.identity.id, timeoutMs);
      this.logger.info('deregistered from Consul');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not deregister from Consul; it will reap the service once its check stays critical');
    }
  }

  private async registerWithRetry(onDuplicate: (err: DuplicateNodeError) => void): Promise<void> {
    const backoff = new Backoff({ initialMs: 200, maxMs: 5000 });
    let failures = 0;
    const signal = this.stopping.signal;
    while (!signal.aborted && !this.registered) {
      try {
        const duplicate = await this.findLiveDuplicate();
        if (duplicate) return onDuplicate(duplicate);
        await this.consul.registerService(this.registration());
        this.registered = true;
        this.onRegistered(true);
        this.logger.info({ consul: this.consul.address, service: serviceNameOf(this.config.name), grpc: this.identity.grpcAddress }, 'registered in Consul');
      } catch (err) {
        failures += 1;
        // Say it loudly once, then at every 10th attempt, so a long outage does not flood the log.
        if (failures === 1 || failures % 10 === 0) {
          const fields = { consul: this.consul.address, attempt: failures, err: (err as Error).message };
          // A refused token is the operator's to fix, not an outage to wait out: said as such.
          if (err instanceof ConsulRefused) this.logger.error(fields, 'Consul refuses the registration; will keep retrying');
          else this.logger.warn(fields, 'Consul unreachable; will keep retrying registration');
        }
        await backoff.wait(signal);
      }
    }
  }

  /**
   * Our id registered at another address by a node that answers as that id means a second node
   * with our id. Consul's check alone cannot tell: right after a crash it still passes for up to
   * a check interval, and a restarted node must be able to take its place.
   */
  private async findLiveDuplicate(): Promise<DuplicateNodeError | undefined> {
    const { value } = await this.consul.healthService(serviceNameOf(this.config.name));
    const mine = value.find((e) => e.Service.ID === this.identity.id);
    if (!mine) return undefined;
    const address = `${mine.Service.Address}:${mine.Service.Port}`;
    if (address === this.identity.grpcAddress || (await nodeInfo(address, this.transport.channel()))?.id !== this.identity.id) return undefined;
    return new DuplicateNodeError(`node id "${this.identity.id}" is already registered by a live node at ${address}; pick another --id`);
  }

  private registration() {
    const [host, port] = splitHostPort(this.identity.grpcAddress);
    const health = this.config.health;
    return {
      id: this.identity.id,
      name: serviceNameOf(this.config.name),
      address: host,
      port,
      tags: [this.identity.role],
      meta: {
        role: this.identity.role,
        version: this.identity.version,
        // Which start of the node this is, for operators comparing it with the leader record.
        incarnation: this.identity.incarnation,
        grpc_port: String(port),
        http_port: splitHostPort(this.identity.httpAddress)[1].toString(),
        cluster: this.config.name,
      },
      check: {
        name: `gRPC health of ${this.identity.id}`,
        grpc: this.identity.grpcAddress,
        tls: this.transport.enabled,
        interval: `${health.checkInterval}ms`,
        timeout: `${health.timeout}ms`,
        deregisterCriticalServiceAfter: `${health.deregisterCriticalAfter}ms`,
        // A node registers only once it serves: passing from the start, not after Consul's
        // first check, which Consul staggers by up to an interval and which then confirms it.
        initialStatus: 'passing' as const,
      },
    };
  }
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
