import { type ChannelCredentials, credentials } from '@grpc/grpc-js';
import { ScaleClient } from '../../gen/shoal/v1/scale';
import type { ConsulApi } from '../consul/ConsulApi';
import { Backoff } from '../net/Backoff';
import { pause } from '../time/pause';
import { type ControlPlaneLeader, readControlPlaneLeader } from './controlPlaneLeader';
import { CLIENT_LIMITS } from '../grpc/transportLimits';

/** What following needs of Consul: reading the lock. */
export type LeaderLockReader = Pick<ConsulApi, 'kvGet'>;

/** A Scale client on the control-plane leader, or undefined when none holds the lock. */
export async function connectToLeader(
  consul: LeaderLockReader,
  cluster: string,
  channel: ChannelCredentials,
): Promise<{ client: ScaleClient; leader: ControlPlaneLeader } | undefined> {
  const leader = await readControlPlaneLeader(consul, cluster);
  return leader && { client: new ScaleClient(leader.grpcAddress, channel, CLIENT_LIMITS), leader };
}

/** Where following stands, for the follower's log or page. */
export type FollowState =
  | { kind: 'consul-unreachable'; error: Error }
  | { kind: 'no-leader' }
  | { kind: 'following'; leader: ControlPlaneLeader }
  /** A session on `leader` ended: its streams broke, or the lock passed on (`why` says which). */
  | { kind: 'lost'; leader: ControlPlaneLeader; why: string };

/** How one session on a leader ended: `done` stops following; otherwise why, and whether it got anything. */
export type SessionEnd = 'done' | { why: string; heard: boolean };

/** One session on the leader: its client, and `ended`, aborted when the lock passes on or following stops. */
export type LeaderSession = (session: { leader: ControlPlaneLeader; client: ScaleClient; ended: AbortSignal }) => Promise<SessionEnd>;

export interface FollowLeaderOptions {
  consul: LeaderLockReader;
  cluster: string;
  /** The control plane's TLS (TransportSecurity.channel()). @default plaintext */
  credentials?: ChannelCredentials;
  /** Stops following (the current session sees `ended` abort). @default never: the process exits */
  signal?: AbortSignal;
  /** How often the lock is read during a session, ms: a leader that lost the lock but lives on keeps its streams open. @default 1000 */
  recheckMs?: number;
  /** Hears each change of state. */
  onState?: (state: FollowState) => void;
  /** Runs after each successful read of the lock during a session (e.g. refresh what else Consul knows). */
  onRecheck?: () => Promise<void>;
}

/**
 * Follows the control-plane leader, the holder of the Consul lock, until `signal` aborts or a
 * session returns 'done': finds the leader, runs `session` on it, and when that ends (streams
 * broken, lock passed on) finds the leader again. Retries back off from 200 ms to 2 s; a
 * session that heard from its leader resets the backoff. The monitor, `shoal events` and any
 * other follower of the leader's streams use this one loop.
 */
export async function followControlPlaneLeader(opts: FollowLeaderOptions, session: LeaderSession): Promise<void> {
  const signal = opts.signal ?? new AbortController().signal;
  const backoff = new Backoff({ initialMs: 200, maxMs: 2000 });
  while (!signal.aborted) {
    let found: Awaited<ReturnType<typeof connectToLeader>>;
    try {
      found = await connectToLeader(opts.consul, opts.cluster, opts.credentials ?? credentials.createInsecure());
    } catch (err) {
      opts.onState?.({ kind: 'consul-unreachable', error: err as Error });
      await backoff.wait(signal);
      continue;
    }
    if (!found) {
      opts.onState?.({ kind: 'no-leader' });
      await backoff.wait(signal);
      continue;
    }
    const { leader, client } = found;
    opts.onState?.({ kind: 'following', leader });
    const ended = new AbortController();
    const stopSession = () => ended.abort();
    signal.addEventListener('abort', stopSession, { once: true });
    let passedOn = '';
    const watching = watchLock(opts, leader, ended.signal, (why) => {
      passedOn = why;
      ended.abort();
    });
    let end: SessionEnd;
    try {
      end = await session({ leader, client, ended: ended.signal });
    } catch (err) {
      // A lock value with an address no channel can be made for (it throws at once).
      end = { why: `cannot follow ${leader.id} at "${leader.grpcAddress}": ${(err as Error).message}`, heard: false };
    } finally {
      ended.abort();
      signal.removeEventListener('abort', stopSession);
      client.close();
    }
    await watching;
    if (end === 'done' || signal.aborted) return;
    opts.onState?.({ kind: 'lost', leader, why: passedOn || end.why });
    if (end.heard) backoff.reset();
    await backoff.wait(signal);
  }
}

/** Reads the lock now and every `recheckMs` until `ended`; calls `passedOn` once another instance (or none) holds it. */
async function watchLock(opts: FollowLeaderOptions, leader: ControlPlaneLeader, ended: AbortSignal, passedOn: (why: string) => void): Promise<void> {
  const recheckMs = opts.recheckMs ?? 1000;
  while (!ended.aborted) {
    try {
      // While Consul is away the leader keeps its streams going (it decides nothing, and says
      // so): the session goes on.
      const now = await readControlPlaneLeader(opts.consul, opts.cluster);
      if (ended.aborted) return;
      if (now?.id !== leader.id || now.grpcAddress !== leader.grpcAddress) {
        return passedOn(now ? `the lock passed from ${leader.id} to ${now.id}` : `${leader.id} no longer holds the lock`);
      }
      await opts.onRecheck?.();
    } catch {
      // Consul unreachable for a moment: keep the session, look again next time.
    }
    await pause(recheckMs, ended);
  }
}
