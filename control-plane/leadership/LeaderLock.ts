import type { Logger } from 'pino';
import type { ConsulApi } from '../../common/consul/ConsulApi';
import { type ControlPlaneLeader, controlPlaneLockKey, parseControlPlaneLeader } from '../../common/cluster/controlPlaneLeader';
import { Backoff } from '../../common/net/Backoff';

export interface LeaderLockOptions {
  consul: ConsulApi;
  /**
   * This host's agent alone: the session is made there, since its checks are that agent's
   * node's. Made through another agent (a fallback that answered a read first), it would name
   * checks that node does not have, and every attempt would fail while that agent stays first.
   */
  agent: ConsulApi;
  cluster: string;
  /** What this instance writes into the lock's value when it wins. */
  self: Omit<ControlPlaneLeader, 'sinceUnixMs'>;
  /** Consul check ids the session is tied to: serfHealth and this instance's own GRPC check. */
  checks: string[];
  logger: Logger;
  /** Called whenever leadership or the known leader changes. */
  onChange: (leader: boolean, holder: ControlPlaneLeader | undefined) => void;
}

/**
 * Leader election through a Consul lock. The session has no TTL: it is tied to serfHealth and
 * to this instance's own GRPC service check, with lock-delay 0, so when the leader dies its
 * check turns critical within a check interval, Consul invalidates the session and releases
 * the lock, and a standby watching the key with a blocking query takes it at once (a TTL
 * session would hold the lock for its TTL, twice over).
 *
 * Leadership is what the last successful read of the key showed: when Consul cannot be read,
 * this instance does not claim to lead (it is blind, and acts on nothing).
 */
export class LeaderLock {
  private session: string | undefined;
  private leading = false;
  /** The last read of the key happened after the last time Consul was out of sight. */
  private confirmed = false;
  private read: AbortController | undefined;
  private known: ControlPlaneLeader | undefined;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly opts: LeaderLockOptions) {}

  get isLeader(): boolean {
    return this.leading && this.confirmed;
  }

  /**
   * Consul was out of sight: leadership counts again only after the key has been read afresh
   * (the lock may have moved meanwhile; a blocking read started before then would not say so
   * until it returns).
   */
  recheck(): void {
    this.confirmed = false;
    this.read?.abort();
  }

  /** The lock holder as last read; this instance when it leads. */
  get holder(): ControlPlaneLeader | undefined {
    return this.known;
  }

  start(): void {
    this.running ??= this.run(this.stopping.signal);
  }

  /** Stops competing; releases the lock if held so a standby takes over without waiting. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    this.set(false, undefined);
    if (!this.session) return;
    const key = controlPlaneLockKey(this.opts.cluster);
    await this.opts.consul.kvRelease(key, this.session, 2000).catch(() => undefined);
    await this.opts.consul.sessionDestroy(this.session, 2000).catch(() => undefined);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { consul, cluster, logger } = this.opts;
    const key = controlPlaneLockKey(cluster);
    const backoff = new Backoff({ initialMs: 100, maxMs: 2000 });
    let index: string | undefined;
    while (!signal.aborted) {
      try {
        this.session ??= await this.opts.agent.sessionCreate({
          name: `shoal ${cluster} control plane ${this.opts.self.id}`,
          checks: this.opts.checks,
          lockDelay: '0s',
        });
        this.read = new AbortController();
        const read = this.read;
        const { index: next, value } = (await consul
          .kvGet(key, { index: this.confirmed ? index : undefined, wait: '10s', signal: AbortSignal.any([signal, read.signal]) })
          .catch((err: unknown) => {
            if (read.signal.aborted && !signal.aborted) return undefined;
            throw err;
          })) ?? { index: undefined, value: undefined };
        // Aborted by recheck(): read again, now without blocking.
        if (next === undefined) continue;
        index = Number(next) < Number(index ?? 0) ? undefined : next;
        backoff.reset();
        this.confirmed = true;
        if (value?.session === this.session) {
          this.set(true, parseControlPlaneLeader(value.value));
          continue;
        }
        if (this.leading || (value?.session === undefined && !(await consul.sessionExists(this.session)))) {
          // We held the lock and do not any more, or it is free while our session is gone: our
          // check was critical for a moment. Start over with a new session.
          if (this.leading) logger.warn('lost the control-plane lock (our session was invalidated)');
          this.session = undefined;
          this.set(false, value?.session ? parseControlPlaneLeader(value.value) : undefined);
          index = undefined;
          continue;
        }
        if (value?.session === undefined && this.session) {
          const me: ControlPlaneLeader = { ...this.opts.self, sinceUnixMs: Date.now() };
          if (await consul.kvAcquire(key, JSON.stringify(me), this.session)) {
            this.set(true, me);
            index = undefined;
            continue;
          }
        }
        this.set(false, value?.session ? parseControlPlaneLeader(value.value) : undefined);
      } catch (err) {
        if (signal.aborted) return;
        // Unknown is not leading: a leader that cannot see Consul stops acting.
        if (this.leading) logger.warn({ err: (err as Error).message }, 'cannot read the control-plane lock; not acting until it can');
        else logger.debug({ err: (err as Error).message }, 'control-plane lock: retrying');
        this.set(false, this.known);
        index = undefined;
        await backoff.wait(signal);
      }
    }
  }

  private set(leader: boolean, holder: ControlPlaneLeader | undefined): void {
    const changed = leader !== this.leading || holder?.id !== this.known?.id;
    this.leading = leader;
    this.known = holder;
    if (changed) this.opts.onChange(leader, holder);
  }
}
