import type { Logger } from 'pino';
import type { Member, MemberChange } from '../../../gen/shoal/v1/discovery';
import { ConsulApi } from '../../../common/consul/ConsulApi';
import { memberFromConsul } from '../../../common/cluster/memberFromConsul';
import { Backoff } from '../../../common/net/Backoff';
import { diffMembers } from './diffMembers';

/** A change with the view's version after it. */
export interface VersionedChange {
  version: number;
  change: MemberChange;
}

export interface MembershipSnapshot {
  version: number;
  members: Member[];
  /** True while Consul cannot be reached: members are the last known. */
  stale: boolean;
  /** Unix ms of the last answer from Consul; 0 if none yet. */
  lastContactMs: number;
}

/**
 * This node's view of the cluster: the members of the cluster's Consul service, followed with
 * blocking queries (Consul answers when something changes), never by polling. Each change
 * bumps the version by one. When Consul is away the last known members stay, marked stale.
 */
export class MembershipView {
  private members = new Map<string, Member>();
  private version = 0;
  private stale = true;
  private lastContactMs = 0;
  private readonly listeners = new Set<(c: VersionedChange) => void>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly consul: ConsulApi,
    private readonly serviceName: string,
    private readonly logger: Logger,
    /** Blocking-query wait. Short enough that staleness is noticed, long enough to be cheap. */
    private readonly wait = '30s',
  ) {}

  start(): void {
    if (this.loop) throw new Error('MembershipView already started');
    this.loop = this.follow(this.stopping.signal);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  snapshot(): MembershipSnapshot {
    const members = [...this.members.values()].sort((a, b) => a.id.localeCompare(b.id));
    return { version: this.version, members, stale: this.stale, lastContactMs: this.lastContactMs };
  }

  get(id: string): Member | undefined {
    return this.members.get(id);
  }

  /** Calls `listener` for every change from now on; returns the unsubscribe function. */
  subscribe(listener: (c: VersionedChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async follow(signal: AbortSignal): Promise<void> {
    let index = '0';
    const backoff = new Backoff({ initialMs: 250, maxMs: 5000 });
    while (!signal.aborted) {
      try {
        const result = await this.consul.healthService(this.serviceName, { index, wait: this.wait, signal });
        // Consul's index can go backwards (agent restarted, snapshot restored): start over.
        index = Number(result.index) < Number(index) ? '0' : result.index;
        this.lastContactMs = Date.now();
        if (this.stale) this.logger.info({ consul: this.consul.address, members: result.value.length }, 'following cluster membership in Consul');
        this.stale = false;
        backoff.reset();
        this.apply(
          new Map(
            result.value.map((e) => {
              const m = memberFromConsul(e);
              return [m.id, m];
            }),
          ),
        );
      } catch (err) {
        if (signal.aborted) return;
        if (!this.stale) {
          this.logger.warn({ consul: this.consul.address, err: (err as Error).message }, 'Consul unreachable; keeping the last known membership');
        }
        this.stale = true;
        index = '0';
        await backoff.wait(signal);
      }
    }
  }

  private apply(next: Map<string, Member>): void {
    const changes = diffMembers(this.members, next);
    this.members = next;
    for (const change of changes) {
      this.version += 1;
      const versioned = { version: this.version, change };
      for (const listener of this.listeners) {
        // One faulty listener must neither starve the others nor pass for a Consul outage.
        try {
          listener(versioned);
        } catch (err) {
          this.logger.error({ err }, 'membership listener failed');
        }
      }
    }
  }
}
