import type { Logger } from 'pino';
import { WRITTEN_METADATA_KEY } from '../../../common/cluster/primaryMetadataKey';
import { DomainError } from '../../../common/errors/DomainError';

/** How a fenced primary confirms, once its fence ends, that it is still the primary of its term. */
export interface StillPrimaryCheck {
  /**
   * Reads Consul's leader record: true when it names this node primary of `term`, false when it
   * names another node or a newer term. Throws when Consul cannot be read.
   */
  recordNamesUs(term: number): Promise<boolean>;
  /**
   * How many replicas must stream to this primary in its term after the fence ended
   * (stillPrimaryQuorum of the declared replicas and sync.minAcks): that many still in the old
   * term means no role change got its quorum to take a newer one.
   */
  replicasToConfirm: number;
}

/** A write refused by the fence: nothing was written (UNAVAILABLE, `shoal-written: false`). */
export class FencedWrite extends DomainError {
  constructor(message: string) {
    super('unavailable', message, { [WRITTEN_METADATA_KEY]: 'false' });
    this.name = 'FencedWrite';
  }
}

/**
 * The primary's switchover fence. While fenced it refuses writes. When the fence ends (it runs
 * out, or an aborted switchover lifts it), it does not just open again: the switchover may have
 * gone on without this node (a partition cut it off between the fence and the leader-record
 * step), so writes stay refused until the primary has confirmed it is still the primary of its
 * term: Consul's leader record names it, or `replicasToConfirm` replicas streamed to it in its
 * term after the fence ended. A newer term ends the writer altogether (PrimaryWriter.close).
 */
export class WriteFence {
  private fencedUntil = 0;
  /** Set from a fence until the primary has confirmed it is still the primary. */
  private unconfirmed = false;
  private confirming: Promise<boolean> | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private readonly heardAt = new Map<string, number>();

  constructor(
    private readonly term: number,
    private readonly logger: Logger,
    /** @default confirmed as soon as the fence ends (a writer with no Consul and no replicas to ask) */
    private readonly check: StillPrimaryCheck = { recordNamesUs: () => Promise.resolve(true), replicasToConfirm: 0 },
  ) {}

  /** Refuses writes for `timeoutMs`; after that, until confirmed (see the class). */
  fence(timeoutMs: number): void {
    this.fencedUntil = Date.now() + timeoutMs;
    this.unconfirmed = true;
    // Confirm as soon as the fence runs out, not at the next write: a client waiting to retry
    // should find the primary writing again.
    this.confirmAt(this.fencedUntil);
  }

  /** Confirms at `atMs`; a timer that fires early by the clock (timers and Date.now differ by a millisecond) waits the rest. */
  private confirmAt(atMs: number): void {
    clearTimeout(this.expiry);
    this.expiry = setTimeout(
      () => {
        if (Date.now() < atMs) this.confirmAt(atMs);
        else void this.confirm();
      },
      Math.max(1, atMs - Date.now()),
    );
    this.expiry.unref();
  }

  /**
   * Ends the fence now (a switchover that aborted) and confirms at once.
   * @returns whether the primary takes writes again.
   */
  lift(): Promise<boolean> {
    clearTimeout(this.expiry);
    this.fencedUntil = Math.min(this.fencedUntil, Date.now());
    return this.confirm();
  }

  /** Why a write must be refused now (undefined: it may go ahead); starts a confirmation when one is due. */
  refusal(): FencedWrite | undefined {
    if (!this.unconfirmed) return undefined;
    if (Date.now() < this.fencedUntil) return new FencedWrite('the primary is fenced for a switchover; retry shortly');
    void this.confirm();
    return new FencedWrite(
      `the primary's switchover fence ended and it has not yet confirmed it is still the primary of term ${this.term} (from Consul's leader record or ${this.check.replicasToConfirm} replica(s) in its term); retry shortly`,
    );
  }

  /** A replica followed this primary in its term as of `atMs` (it echoed a message sent then). */
  heardFromReplica(replicaId: string, atMs = Date.now()): void {
    this.heardAt.set(replicaId, atMs);
    if (this.unconfirmed && Date.now() >= this.fencedUntil && this.replicasConfirm()) this.confirmed('replicas');
  }

  /** Ends the expiry timer (the writer closed). */
  close(): void {
    clearTimeout(this.expiry);
  }

  /** One confirmation at a time; true once the primary may write again. */
  private confirm(): Promise<boolean> {
    if (!this.unconfirmed) return Promise.resolve(true);
    if (Date.now() < this.fencedUntil) return Promise.resolve(false);
    this.confirming ??= this.runConfirmation().finally(() => (this.confirming = undefined));
    return this.confirming;
  }

  private async runConfirmation(): Promise<boolean> {
    if (this.replicasConfirm()) return this.confirmed('replicas');
    try {
      if (await this.check.recordNamesUs(this.term)) return this.confirmed('the leader record');
      this.logger.warn({ term: this.term }, 'fence ended, but the leader record no longer names this node in its term: not writing');
    } catch (err) {
      this.logger.warn(
        { term: this.term, err: (err as Error).message },
        'fence ended and Consul cannot be read: not writing until it or the replicas confirm this primary',
      );
    }
    // Replicas may have been heard while Consul was asked.
    return !this.unconfirmed || this.replicasConfirm() ? this.confirmed('replicas') : false;
  }

  private replicasConfirm(): boolean {
    // Strictly after: a message in the very millisecond the fence ended may predate it.
    const since = this.fencedUntil;
    const heard = [...this.heardAt.values()].filter((t) => t > since).length;
    return heard >= this.check.replicasToConfirm;
  }

  private confirmed(by: string): boolean {
    if (this.unconfirmed) this.logger.info({ term: this.term, by }, 'fence ended: confirmed still the primary of its term; taking writes again');
    this.unconfirmed = false;
    return true;
  }
}
