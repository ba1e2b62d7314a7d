import { type ChannelCredentials, credentials, Metadata } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import type { Member } from '../../gen/shoal/v1/discovery';
import { type GetPositionResponse, SyncClient } from '../../gen/shoal/v1/sync';
import { unaryCall } from '../client/grpcCall';
import { type ConsulApi, serviceNameOf } from '../consul/ConsulApi';
import { waitFor } from '../time/waitFor';
import { casLeader, type LeaderRecord, readLeader } from './leaderRecord';
import { memberFromConsul } from './memberFromConsul';
import { RoleChangeQuorum } from './RoleChangeQuorum';
import { CLIENT_LIMITS } from '../grpc/transportLimits';

const tracer = trace.getTracer('shoal.cluster');

/**
 * How long a failover waits for one node's answer (GetPosition, Follow), ms. A live node on a
 * reachable host answers in a few ms; a node on a host that vanished never answers, and the
 * failover must not wait seconds on it (all are asked at once, so this bounds each round).
 */
export const NODE_ANSWER_MS = 500;

/** How long the leader record's compare-and-set may take (ConsulApi.kvCas's default timeout), ms. */
const CAS_TIMEOUT_MS = 5000;

/** Why a primary change could not be made; nothing was changed unless `changed` says so. */
export class PrimaryChangeError extends Error {}

export interface PrimaryChange {
  from: string;
  to: string;
  term: number;
  /** The new primary's first position in its term. */
  startPosition: number;
  /** What happened, step by step, for the operator. */
  steps: string[];
  /** What a forced change risks (the replicas it went ahead without); absent when it risks nothing. */
  warnings?: string[];
}

interface Ctx {
  consul: ConsulApi;
  cluster: string;
  /** The nodes' TLS (TransportSecurity.channel()). @default plaintext */
  credentials?: ChannelCredentials;
  /** sync.minAcks of the cluster: how many replicas hold every acknowledged write. @default 1 */
  minAcks?: number;
  /** Overall deadline, ms. @default 15000 */
  timeoutMs?: number;
  /** Progress lines, as they happen. */
  progress?: (line: string) => void;
  /**
   * Every node that holds the replicated state by declaration (the config's primary and
   * replicas: the control plane passes its own, the CLI the topology the control plane published
   * in Consul), so a replica missing from Consul still counts as one that did not answer.
   * @default the ones Consul lists
   */
  stateNodeIds?: string[];
}

/** A state node as Consul lists it, with the incarnation its registration names (if any). */
interface Listed {
  member: Member;
  incarnation?: string;
}

interface Answer {
  member: Member;
  pos: GetPositionResponse;
}

/**
 * Planned, lossless role swap (like `patronictl switchover`): the primary stops taking writes,
 * the target catches up to its last position, a quorum of the replicas (see roleChangeQuorum,
 * the count a failover needs) takes the next term, Consul's leader record moves to the target
 * with that term (compare-and-set), the target is promoted and every other node follows it, the
 * old primary included. Refused before anything changes when too few replicas answer; aborted,
 * with the old primary's fence lifted at once, when too few take the new term.
 */
export function switchover(ctx: Ctx, to: string): Promise<PrimaryChange> {
  return traced('cluster.switchover', { 'shoal.to': to }, () =>
    withClients(ctx, async (ctx) => {
      const steps = stepLog(ctx);
      const deadline = Date.now() + (ctx.timeoutMs ?? 15_000);
      const read = await readLeader(ctx.consul, ctx.cluster);
      const old = read.record;
      if (!old) throw new PrimaryChangeError(`cluster ${ctx.cluster} has no primary yet`);
      if (old.primaryId === to) throw new PrimaryChangeError(`${to} is the primary already (term ${old.term})`);
      const listed = await stateMembers(ctx);
      const members = listed.map((l) => l.member);
      const target = members.find((m) => m.id === to);
      if (!target) throw new PrimaryChangeError(`no replica "${to}" in cluster ${ctx.cluster} (state nodes: ${members.map((m) => m.id).join(', ') || 'none'})`);
      if (target.health !== MemberHealth.MEMBER_HEALTH_PASSING)
        throw new PrimaryChangeError(`${to} is not passing its health check; switch over to a healthy replica`);
      const replicas = listed.filter((l) => l.member.id !== old.primaryId);
      const quorum = quorumOf(ctx, replicas, old.primaryId);
      const term = old.term + 1;
      // Who answers at all, before anything changes: a switchover that cannot get its quorum to
      // take the new term must not fence the primary in vain.
      const reachable = await ask(ctx, replicas, 0, deadline, steps);
      const short = quorum.shortOf(reachable);
      if (short) throw new PrimaryChangeError(`${short}; nothing changed`);

      const primary = sync(ctx, old.primaryAddress);
      const targetClient = sync(ctx, target.grpcAddress);
      let fenced = false;
      try {
        // The fence outlasts every step of this switchover, the leader record's compare-and-set
        // included (Consul's 5 s timeout): it must not run out while that may still land.
        const fenceMs = Math.min(60_000, Math.max(1000, deadline - Date.now()) + CAS_TIMEOUT_MS);
        const fence = await unaryCall<{ term: number; lastPosition: number }>(
          (m, o, cb) => primary.fence({ timeoutMs: fenceMs, term: old.term, lift: false }, m, o, cb),
          deadline,
        );
        fenced = true;
        steps.add(`fenced ${old.primaryId}: no new writes; its last position is ${fence.lastPosition}`);
        await waitFor(`${to} to reach position ${fence.lastPosition}`, async () => (await position(targetClient, 0, deadline)).position >= fence.lastPosition, {
          timeoutMs: Math.max(0, deadline - Date.now()),
          intervalMs: 20,
        }).catch(() => {
          throw new PrimaryChangeError(`${to} did not catch up to position ${fence.lastPosition} in time`);
        });
        steps.add(`${to} has applied everything up to ${fence.lastPosition}`);
        // The fence is a timer; the next term is not. Once a quorum holds it, the old primary can
        // get no write acknowledged in its term, whatever happens to this switchover.
        const took = await ask(
          ctx,
          reachable.map((a) => listed.find((l) => l.member.id === a.member.id)!),
          term,
          Math.min(deadline, Date.now() + 2000),
          steps,
        );
        const notEnough = quorum.shortOf(took, `took term ${term}`);
        if (notEnough) {
          const inNewTerm = took.map((a) => a.member.id);
          throw new PrimaryChangeError(
            `${notEnough}${inNewTerm.length ? `; ${inNewTerm.join(', ')} hold term ${term} now and wait for a primary of a newer term (the control plane names one; without it, run \`shoal failover\`)` : ''}`,
          );
        }
        const targetPos = took.find((a) => a.member.id === to)?.pos;
        if (!targetPos) throw new PrimaryChangeError(`${to} did not take term ${term}`);
        steps.add(`${took.map((a) => a.member.id).join(', ')} took term ${term} (they now refuse term ${old.term})`);
        const change = await handOver(
          ctx,
          steps,
          read,
          old,
          { member: target, pos: targetPos },
          members,
          targetClient,
          `switchover from ${old.primaryId}`,
          deadline,
          term,
        );
        fenced = false;
        return change;
      } catch (err) {
        if (fenced && err instanceof PrimaryChangeError) await liftFence(primary, old, steps, err);
        throw err;
      }
    }),
  );
}

/**
 * Ends the fence of an aborted switchover at once (the old primary confirms it is still the
 * primary of its term before it writes again) and says so in `err`'s message.
 */
async function liftFence(primary: SyncClient, old: LeaderRecord, steps: ReturnType<typeof stepLog>, err: PrimaryChangeError): Promise<void> {
  try {
    const lifted = await unaryCall<{ writing: boolean }>(
      (m, o, cb) => primary.fence({ timeoutMs: 0, term: old.term, lift: true }, m, o, cb),
      Date.now() + 2 * NODE_ANSWER_MS,
    );
    steps.add(`lifted the fence of ${old.primaryId}`);
    err.message += `; aborted: nothing changed in Consul, the fence of ${old.primaryId} is lifted and it ${lifted.writing ? 'takes writes again' : 'takes writes again once it confirms it is still the primary'} in term ${old.term}`;
  } catch (liftErr) {
    err.message += `; aborted: nothing changed in Consul, but the fence of ${old.primaryId} could not be lifted (${(liftErr as Error).message}): it takes writes again when its fence runs out and it confirms it is still the primary`;
  }
}

/**
 * Unplanned change, for a primary that is gone or must be replaced now: every reachable replica
 * is asked whether it answers, then its position with the next term (which it adopts, so it
 * stops accepting the old primary's entries); the most advanced one is promoted through
 * Consul's leader record, and the others follow it. With `to`, that replica must be among the
 * most advanced. Refused, naming the replicas that did not answer, when fewer answer than
 * roleChangeQuorum needs to be sure none holds an acknowledged write the others lack, unless
 * `force` (then `warnings` says what it risks). With `expectPrimary`, nothing changes unless
 * that node is still the primary (the control plane fails over the primary it saw go, never one
 * promoted meanwhile). With `includeCurrent`, the record's primary is a candidate too: it lives,
 * but lost its term to replicas fenced by a failover that did not finish.
 */
export function failover(ctx: Ctx & { force?: boolean; expectPrimary?: string; includeCurrent?: boolean }, to?: string): Promise<PrimaryChange> {
  return traced('cluster.failover', { 'shoal.to': to ?? '' }, () =>
    withClients(ctx, async (ctx) => {
      const steps = stepLog(ctx);
      const deadline = Date.now() + (ctx.timeoutMs ?? 15_000);
      const read = await readLeader(ctx.consul, ctx.cluster);
      const old = read.record;
      if (!old) throw new PrimaryChangeError(`cluster ${ctx.cluster} has no primary yet`);
      if (ctx.expectPrimary !== undefined && old.primaryId !== ctx.expectPrimary) {
        throw new PrimaryChangeError(`${old.primaryId} is the primary now (term ${old.term}), not ${ctx.expectPrimary}; nothing changed`);
      }
      const term = old.term + 1;
      const candidates = (await stateMembers(ctx)).filter((l) => ctx.includeCurrent || l.member.id !== old.primaryId);
      const quorum = quorumOf(ctx, candidates, ctx.includeCurrent ? undefined : old.primaryId);
      const warnings: string[] = [];
      const refuse = (answered: Answer[], what?: string) => {
        const short = quorum.shortOf(answered, what);
        if (!short) return;
        if (!ctx.force) throw new PrimaryChangeError(`${short} (--force to promote anyway)`);
        const warning = quorum.risk(answered);
        if (!warnings.includes(warning)) warnings.push(warning);
        steps.add(`--force: ${warning}`);
      };
      // The connections that will carry the new term handshake meanwhile (TLS costs a round trip or two).
      ctx.clients.warmUp(
        candidates.map((l) => l.member.grpcAddress),
        deadline,
      );
      // First who answers at all, without the new term: a failover that cannot be made must leave
      // every replica in the old term, still following the old primary should it come back.
      const reachable = await ask(ctx, candidates, 0, deadline, steps);
      refuse(reachable);
      const positions = await ask(
        ctx,
        reachable.map((a) => candidates.find((l) => l.member.id === a.member.id)!),
        term,
        deadline,
        steps,
      );
      refuse(positions, `took term ${term}`);
      if (positions.length === 0) throw new PrimaryChangeError(`no replica of cluster ${ctx.cluster} answered; nothing to promote`);
      steps.add(
        `asked ${positions.length} replica(s) with term ${term} (they now refuse term ${old.term}): ${positions.map((p) => `${p.member.id} at ${p.pos.position} (term ${p.pos.lastEntryTerm})`).join(', ')}`,
      );
      // The most advanced log: the newer last term first (a longer log of an older term may hold
      // writes that were never acknowledged), then the longer.
      positions.sort((a, b) => b.pos.lastEntryTerm - a.pos.lastEntryTerm || b.pos.position - a.pos.position || a.member.id.localeCompare(b.member.id));
      const best = positions[0];
      const chosen = to ? positions.find((p) => p.member.id === to) : best;
      if (!chosen) throw new PrimaryChangeError(`${to} is not a reachable replica of cluster ${ctx.cluster}`);
      if (
        chosen.pos.lastEntryTerm < best.pos.lastEntryTerm ||
        (chosen.pos.lastEntryTerm === best.pos.lastEntryTerm && chosen.pos.position < best.pos.position)
      ) {
        throw new PrimaryChangeError(
          `${to} is at position ${chosen.pos.position} (term ${chosen.pos.lastEntryTerm}), behind ${best.member.id} at ${best.pos.position} (term ${best.pos.lastEntryTerm}); promoting it could lose acknowledged writes`,
        );
      }
      const client = sync(ctx, chosen.member.grpcAddress);
      // Nodes may hold a term above the record's already (a failover that fenced them and did
      // not finish): the new term is above every term anyone holds.
      const newTerm = Math.max(term, ...positions.map((p) => p.pos.term));
      const members = candidates.map((l) => l.member);
      const change = await handOver(ctx, steps, read, old, chosen, members, client, `failover from ${old.primaryId}`, deadline, newTerm);
      return warnings.length ? { ...change, warnings } : change;
    }),
  );
}

/** The quorum of a change that replaces `exclude`, over the listed and declared state nodes. */
function quorumOf(ctx: Ctx, listed: Listed[], exclude: string | undefined) {
  const quorum = new RoleChangeQuorum({ listed: listed.map((l) => l.member.id), declared: ctx.stateNodeIds ?? [], exclude, minAcks: ctx.minAcks ?? 1 });
  const ids = (answered: Answer[]) => answered.map((a) => a.member.id);
  return {
    shortOf: (answered: Answer[], what?: string) => quorum.shortOf(ids(answered), what),
    risk: (answered: Answer[]) => quorum.risk(ids(answered)),
  };
}

/**
 * Moves the leader record to `target` with the next term, naming the incarnation and store its
 * position answer gave (a restart of it in between is refused by Promote), promotes it,
 * repoints the rest.
 */
async function handOver(
  ctx: ChangeCtx,
  steps: ReturnType<typeof stepLog>,
  read: Awaited<ReturnType<typeof readLeader>>,
  old: LeaderRecord,
  { member: target, pos }: { member: Member; pos: GetPositionResponse },
  members: Member[],
  targetClient: SyncClient,
  reason: string,
  deadline: number,
  term: number,
): Promise<PrimaryChange> {
  const record: LeaderRecord = {
    term,
    primaryId: target.id,
    primaryAddress: target.grpcAddress,
    changedAtMs: Date.now(),
    reason,
    ...(pos.incarnation ? { incarnation: pos.incarnation } : {}),
    ...(pos.storeId ? { storeId: pos.storeId } : {}),
  };
  if (!(await casLeader(ctx.consul, ctx.cluster, read, record))) {
    throw new PrimaryChangeError('the leader record in Consul changed meanwhile (another switchover or failover?); nothing changed');
  }
  steps.add(`Consul leader record: term ${term}, primary ${target.id}`);
  const promoted = await unaryCall<{ startPosition: number }>((m, o, cb) => targetClient.promote({ term, incarnation: pos.incarnation }, m, o, cb), deadline);
  steps.add(`${target.id} is primary from position ${promoted.startPosition}`);
  const others = members.filter((m) => m.id !== target.id && m.id !== old.primaryId);
  if (target.id !== old.primaryId) others.push({ id: old.primaryId, grpcAddress: old.primaryAddress } as Member);
  await Promise.all(
    others.map(async (m) => {
      const client = sync(ctx, m.grpcAddress);
      try {
        await unaryCall(
          (md, o, cb) => client.follow({ term, primaryId: target.id, primaryAddress: target.grpcAddress }, md, o, cb),
          Math.min(deadline, Date.now() + NODE_ANSWER_MS),
        );
        steps.add(`${m.id} follows ${target.id}`);
      } catch {
        steps.add(`${m.id} did not answer; it will follow once it reads the leader record`);
      }
    }),
  );
  return { from: old.primaryId, to: target.id, term, startPosition: promoted.startPosition, steps: steps.lines };
}

/** Primary and replicas, as Consul lists them, with the incarnation each registration names. */
async function stateMembers(ctx: Ctx): Promise<Listed[]> {
  const { value } = await ctx.consul.healthService(serviceNameOf(ctx.cluster));
  return value
    .map((entry) => ({ member: memberFromConsul(entry), incarnation: entry.Service.Meta?.incarnation || undefined }))
    .filter((l) => l.member.role === NodeRole.NODE_ROLE_PRIMARY || l.member.role === NodeRole.NODE_ROLE_REPLICA);
}

/**
 * One Sync client per address for the whole of one change, closed when it ends: each step asks
 * the same nodes again, and a new channel per question would pay a connection (and with TLS a
 * handshake) each time; the failover benchmark measured that as 60-80 ms more with TLS. The
 * exception is a question that pushes a new term (`fresh`): it goes over a channel made for it,
 * so a node that stopped answering (paused, cut off) is not handed the term later from what an
 * open connection had buffered, after the change gave it up and told the old primary to go on
 * in its term (test/integration/roleChanges.test.ts, the aborted switchover). A failover makes
 * those connections at its start (`warmUp`), so their handshakes overlap its first round instead
 * of following it; the term still goes only on them, and a node paused before the change never
 * finishes its handshake. One paused during the first round may find the term in its buffer
 * when it wakes: harmless in a failover, which never hands the old primary its term back (the
 * nodes that answered hold the new term whether it succeeds or not); a switchover, which does,
 * warms nothing.
 */
class ChangeClients {
  private readonly byAddress = new Map<string, SyncClient>();
  /** Connections made ahead for `fresh`, one per address, each used once. */
  private readonly warm = new Map<string, SyncClient>();

  constructor(private readonly channel: ChannelCredentials) {}

  get(address: string): SyncClient {
    let client = this.byAddress.get(address);
    if (!client) this.byAddress.set(address, (client = new SyncClient(address, this.channel, CLIENT_LIMITS)));
    return client;
  }

  /** A client with a connection of its own, for one question; the caller closes it as soon as it is answered or given up. */
  fresh(address: string): SyncClient {
    const warm = this.warm.get(address);
    this.warm.delete(address);
    // A local subchannel pool: grpc-js would otherwise share the open connection of `get`'s client.
    return warm ?? new SyncClient(address, this.channel, { ...CLIENT_LIMITS, 'grpc.use_local_subchannel_pool': 1 });
  }

  /** Starts a connection for `fresh` to each address now; one not yet up when asked for is still waited for there. */
  warmUp(addresses: string[], deadline: number): void {
    for (const address of addresses) {
      if (this.warm.has(address)) continue;
      const client = this.fresh(address);
      client.waitForReady(deadline, () => undefined);
      this.warm.set(address, client);
    }
  }

  close(): void {
    for (const client of [...this.byAddress.values(), ...this.warm.values()]) client.close();
    this.warm.clear();
  }
}

/** A change's context with its clients. */
type ChangeCtx = Ctx & { clients: ChangeClients };

function sync(ctx: ChangeCtx, address: string): SyncClient {
  return ctx.clients.get(address);
}

/** Runs one change with its own clients, closed when it ends however it ends. */
async function withClients<C extends Ctx, T>(ctx: C, change: (ctx: C & { clients: ChangeClients }) => Promise<T>): Promise<T> {
  const clients = new ChangeClients(ctx.credentials ?? credentials.createInsecure());
  try {
    return await change({ ...ctx, clients });
  } finally {
    clients.close();
  }
}

/**
 * Asks each member its position (adopting `term` when it is not 0); the answers of those that
 * answered as themselves. A registration can outlive its process and its port be taken by
 * another state node: that node's answer is not this member's, and counting it would count one
 * node twice.
 */
async function ask(ctx: ChangeCtx, members: Listed[], term: number, deadline: number, steps: ReturnType<typeof stepLog>): Promise<Answer[]> {
  const answers: Answer[] = [];
  await Promise.all(
    members.map(async ({ member, incarnation }) => {
      const client = term ? ctx.clients.fresh(member.grpcAddress) : sync(ctx, member.grpcAddress);
      try {
        const pos = await position(client, term, Math.min(deadline, Date.now() + NODE_ANSWER_MS));
        if (pos.nodeId !== member.id) {
          steps.add(`${member.grpcAddress}, registered as ${member.id}, answered as ${pos.nodeId || 'an unnamed node'}; ${member.id} left out`);
        } else if (incarnation && pos.incarnation && pos.incarnation !== incarnation) {
          steps.add(`${member.id} answered from incarnation ${pos.incarnation}, not the registered ${incarnation}; left out`);
        } else {
          answers.push({ member, pos });
        }
      } catch {
        steps.add(`${member.id} did not answer${term ? ` with term ${term}` : ''}; left out`);
      } finally {
        if (term) client.close();
      }
    }),
  );
  return answers;
}

function position(client: SyncClient, term: number, deadline: number): Promise<GetPositionResponse> {
  return unaryCall<GetPositionResponse>((m: Metadata, o, cb) => client.getPosition({ term }, m, o, cb), deadline);
}

function stepLog(ctx: Ctx) {
  const lines: string[] = [];
  return {
    lines,
    add(line: string) {
      lines.push(line);
      ctx.progress?.(line);
    },
  };
}

function traced<T>(name: string, attributes: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.recordException(err as Error);
      throw err;
    } finally {
      span.end();
    }
  });
}
