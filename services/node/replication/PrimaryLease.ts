/** How many of `n` declared replicas make a majority. */
export function majorityOf(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * How many of `n` declared replicas must still hear a primary for it to keep its lease: enough
 * that a majority of them (what the control plane needs to fail it over) cannot at the same time
 * have lost it — n − majority + 1, so 1 of 2, 2 of 3 or 4.
 */
export function leaseQuorum(n: number): number {
  return n - majorityOf(n) + 1;
}

export interface PrimaryLeaseOptions {
  /** sync.primaryLease, ms. */
  leaseMs: number;
  /** How many replicas the config declares. */
  declaredReplicas: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Whether a primary may still act as one. A primary cut off from everyone cannot know it was
 * replaced, so it holds its lease only while, within leaseMs, it has heard from Consul (a read
 * of the leader record that still names it in its term) or from leaseQuorum of the replicas
 * the config declares: the control plane fails over only when it and a majority of the
 * replicas lost the primary for controlPlane.failoverAfter, longer than the lease (the config
 * refuses otherwise), and a majority cannot have lost it while leaseQuorum of them hear it, so
 * no failover has happened behind its back within the lease. Each renewal counts from when its question was sent (the Consul read, the
 * Replicate message a replica's ack echoes), never from when the answer came. With no declared
 * replica the replica half is always met (nobody could be promoted in its place). The lease
 * starts held: becoming primary follows a read of the record naming this node.
 */
export class PrimaryLease {
  private readonly now: () => number;
  private consulAt: number;
  private readonly replicaAt = new Map<string, number>();

  constructor(private readonly opts: PrimaryLeaseOptions) {
    this.now = opts.now ?? Date.now;
    this.consulAt = this.now();
  }

  get leaseMs(): number {
    return this.opts.leaseMs;
  }

  /** Consul's leader record named this primary in its term, in a read sent at `sentAtMs`. */
  heardFromConsul(sentAtMs = this.now()): void {
    this.consulAt = Math.max(this.consulAt, sentAtMs);
  }

  /** A replica acknowledged, in this term, a message sent at `sentAtMs`. */
  heardFromReplica(replicaId: string, sentAtMs = this.now()): void {
    this.replicaAt.set(replicaId, Math.max(this.replicaAt.get(replicaId) ?? -Infinity, sentAtMs));
  }

  /** When leaseQuorum of the declared replicas had last all been heard from; -Infinity when not yet. */
  private quorumAt(): number {
    const n = this.opts.declaredReplicas;
    if (n === 0) return Infinity;
    const latest = [...this.replicaAt.values()].sort((a, b) => b - a);
    return latest[leaseQuorum(n) - 1] ?? -Infinity;
  }

  /** How long since the lease was last renewed by either half, ms (0 while the replica half is trivially met). */
  silenceMs(): number {
    const renewed = Math.max(this.consulAt, this.quorumAt());
    return renewed === Infinity ? 0 : Math.max(0, this.now() - renewed);
  }

  held(): boolean {
    return this.silenceMs() < this.opts.leaseMs;
  }
}
