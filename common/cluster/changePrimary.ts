import { credentials, Metadata } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import type { Member } from '../../gen/shoal/v1/discovery';
import { type GetPositionResponse, SyncClient } from '../../gen/shoal/v1/sync';
import { unaryCall } from '../client/grpcCall';
import type { ConsulApi } from '../consul/ConsulApi';
import { waitFor } from '../time/waitFor';
import { casLeader, type LeaderRecord, readLeader } from './leaderRecord';
import { clusterMembers } from './memberFromConsul';

const tracer = trace.getTracer('shoal.cluster');

/**
 * How long a failover waits for one node's answer (GetPosition, Follow), ms. A live node on a
 * reachable host answers in a few ms; a node on a host that vanished never answers, and the
 * failover must not wait seconds on it (all are asked at once, so this bounds each round).
 */
export const NODE_ANSWER_MS = 500;

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
}

interface Ctx {
  consul: ConsulApi;
  cluster: string;
  /** sync.minAcks of the cluster: how many replicas hold every acknowledged write. @default 1 */
  minAcks?: number;
  /** Overall deadline, ms. @default 15000 */
  timeoutMs?: number;
  /** Progress lines, as they happen. */
  progress?: (line: string) => void;
  /**
   * Every node that holds the replicated state by declaration (the control plane passes the
   * config's primary and replicas), so a replica missing from Consul still counts as one that
   * did not answer. @default the ones Consul lists
   */
  stateNodeIds?: string[];
}

/**
 * Planned, lossless role swap (like `patronictl switchover`): the primary stops taking writes,
 * the target catches up to its last position, Consul's leader record moves to the target with
 * the next term (compare-and-set), the target is promoted and every other node follows it,
 * the old primary included.
 */
export function switchover(ctx: Ctx, to: string): Promise<PrimaryChange> {
  return traced('cluster.switchover', { 'shoal.to': to }, async () => {
    const steps = stepLog(ctx);
    const deadline = Date.now() + (ctx.timeoutMs ?? 15_000);
    const read = await readLeader(ctx.consul, ctx.cluster);
    const old = read.record;
    if (!old) throw new PrimaryChangeError(`cluster ${ctx.cluster} has no primary yet`);
    if (old.primaryId === to) throw new PrimaryChangeError(`${to} is the primary already (term ${old.term})`);
    const members = await stateMembers(ctx);
    const target = members.find((m) => m.id === to);
    if (!target) throw new PrimaryChangeError(`no replica "${to}" in cluster ${ctx.cluster} (state nodes: ${members.map((m) => m.id).join(', ') || 'none'})`);
    if (target.health !== MemberHealth.MEMBER_HEALTH_PASSING)
      throw new PrimaryChangeError(`${to} is not passing its health check; switch over to a healthy replica`);

    const primary = sync(old.primaryAddress);
    const targetClient = sync(target.grpcAddress);
    try {
      const fenced = await unaryCall<{ term: number; lastPosition: number }>(
        (m, o, cb) => primary.fence({ timeoutMs: Math.max(1000, deadline - Date.now()), term: old.term }, m, o, cb),
        deadline,
      );
      steps.add(`fenced ${old.primaryId}: no new writes; its last position is ${fenced.lastPosition}`);
      await waitFor(`${to} to reach position ${fenced.lastPosition}`, async () => (await position(targetClient, 0, deadline)).position >= fenced.lastPosition, {
        timeoutMs: Math.max(0, deadline - Date.now()),
        intervalMs: 20,
      }).catch(() => {
        throw new PrimaryChangeError(
          `${to} did not catch up to position ${fenced.lastPosition} in time; nothing changed (${old.primaryId} takes writes again when its fence expires)`,
        );
      });
      steps.add(`${to} has applied everything up to ${fenced.lastPosition}`);
      // The fence is a timer; the next term is not. From here the old primary and every replica
      // refuse the old term, whatever happens to this switchover.
      await Promise.all(
        members.map(async (m) => {
          const client = m.id === to ? targetClient : sync(m.grpcAddress);
          try {
            await position(client, old.term + 1, Math.min(deadline, Date.now() + 2000));
          } catch {
            steps.add(`${m.id} did not take term ${old.term + 1} now; it will from the leader record`);
          } finally {
            if (client !== targetClient) client.close();
          }
        }),
      );
      const targetPos = await position(targetClient, old.term + 1, deadline).catch((err: Error) => {
        throw new PrimaryChangeError(`${to} did not answer its position: ${err.message}; nothing changed`);
      });
      return await handOver(
        ctx,
        steps,
        read,
        old,
        { member: target, pos: targetPos },
        members,
        targetClient,
        `switchover from ${old.primaryId}`,
        deadline,
        old.term + 1,
      );
    } finally {
      primary.close();
      targetClient.close();
    }
  });
}

/**
 * Unplanned change, for a primary that is gone or must be replaced now: every reachable replica
 * is asked whether it answers, then its position with the next term (which it adopts, so it
 * stops accepting the old primary's entries); the most advanced one is promoted through
 * Consul's leader record, and the others follow it. With `to`, that replica must be among the most advanced. Refused when
 * too few replicas answer to be sure none holds an acknowledged write the others lack, unless
 * `force`. With `expectPrimary`, nothing changes unless that node is still the primary (the
 * control plane fails over the primary it saw go, never one promoted meanwhile). With
 * `includeCurrent`, the record's primary is a candidate too: it lives, but lost its term to
 * replicas fenced by a failover that did not finish.
 */
export function failover(ctx: Ctx & { force?: boolean; expectPrimary?: string; includeCurrent?: boolean }, to?: string): Promise<PrimaryChange> {
  return traced('cluster.failover', { 'shoal.to': to ?? '' }, async () => {
    const steps = stepLog(ctx);
    const deadline = Date.now() + (ctx.timeoutMs ?? 15_000);
    const read = await readLeader(ctx.consul, ctx.cluster);
    const old = read.record;
    if (!old) throw new PrimaryChangeError(`cluster ${ctx.cluster} has no primary yet`);
    if (ctx.expectPrimary !== undefined && old.primaryId !== ctx.expectPrimary) {
      throw new PrimaryChangeError(`${old.primaryId} is the primary now (term ${old.term}), not ${ctx.expectPrimary}; nothing changed`);
    }
    const term = old.term + 1;
    const candidates = (await stateMembers(ctx)).filter((m) => ctx.includeCurrent || m.id !== old.primaryId);
    // Replicas that may hold acknowledged writes: those Consul lists, and those the caller knows
    // of that Consul does not list now (deregistered for a restart, say), which cannot answer.
    const expected = new Set([...candidates.map((m) => m.id), ...(ctx.stateNodeIds ?? []).filter((id) => ctx.includeCurrent || id !== old.primaryId)]);
    // Every acknowledged write is on minAcks replicas; hearing from all but minAcks - 1 of them
    // guarantees one of those answered.
    const needed = Math.max(1, expected.size - (ctx.minAcks ?? 1) + 1);
    const refuse = (answered: number) => {
      if (answered >= needed || ctx.force) return;
      throw new PrimaryChangeError(
        `only ${answered} of ${expected.size} replicas answered; with minAcks ${ctx.minAcks ?? 1} at least ${needed} must, or an acknowledged write could be lost (--force to promote anyway)`,
      );
    };
    // First who answers at all, without the new term: a failover that cannot be made must leave
    // every replica in the old term, still following the old primary should it come back.
    const reachable = await ask(candidates, 0, deadline, steps);
    refuse(reachable.length);
    const positions = await ask(
      reachable.map((p) => p.member),
      term,
      deadline,
      steps,
    );
    refuse(positions.length);
    steps.add(
      `asked ${positions.length} replica(s) with term ${term} (they now refuse term ${old.term}): ${positions.map((p) => `${p.member.id} at ${p.pos.position} (term ${p.pos.lastEntryTerm})`).join(', ')}`,
    );
    // The most advanced log: the newer last term first (a longer log of an older term may hold
    // writes that were never acknowledged), then the longer.
    positions.sort((a, b) => b.pos.lastEntryTerm - a.pos.lastEntryTerm || b.pos.position - a.pos.position || a.member.id.localeCompare(b.member.id));
    const best = positions[0];
    const chosen = to ? positions.find((p) => p.member.id === to) : best;
    if (!chosen) throw new PrimaryChangeError(`${to} is not a reachable replica of cluster ${ctx.cluster}`);
    if (chosen.pos.lastEntryTerm < best.pos.lastEntryTerm || (chosen.pos.lastEntryTerm === best.pos.lastEntryTerm && chosen.pos.position < best.pos.position)) {
      throw new PrimaryChangeError(
        `${to} is at position ${chosen.pos.position} (term ${chosen.pos.lastEntryTerm}), behind ${best.member.id} at ${best.pos.position} (term ${best.pos.lastEntryTerm}); promoting it could lose acknowledged writes`,
      );
    }
    const client = sync(chosen.member.grpcAddress);
    try {
      // Nodes may hold a term above the record's already (a failover that fenced them and did
      // not finish): the new term is above every term anyone holds.
      const newTerm = Math.max(term, ...positions.map((p) => p.pos.term));
      return await handOver(ctx, steps, read, old, chosen, candidates, client, `failover from ${old.primaryId}`, deadline, newTerm);
    } finally {
      client.close();
    }
  });
}

/**
 * Moves the leader record to `target` with the next term, naming the incarnation and store its
 * position answer gave (a restart of it in between is refused by Promote), promotes it,
 * repoints the rest.
 */
async function handOver(
  ctx: Ctx,
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
      const client = sync(m.grpcAddress);
      try {
        await unaryCall(
          (md, o, cb) => client.follow({ term, primaryId: target.id, primaryAddress: target.grpcAddress }, md, o, cb),
          Math.min(deadline, Date.now() + NODE_ANSWER_MS),
        );
        steps.add(`${m.id} follows ${target.id}`);
      } catch {
        steps.add(`${m.id} did not answer; it will follow once it reads the leader record`);
      } finally {
        client.close();
      }
    }),
  );
  return { from: old.primaryId, to: target.id, term, startPosition: promoted.startPosition, steps: steps.lines };
}

/** Primary and replicas, as Consul lists them. */
async function stateMembers(ctx: Ctx): Promise<Member[]> {
  return (await clusterMembers(ctx.consul, ctx.cluster)).filter((m) => m.role === NodeRole.NODE_ROLE_PRIMARY || m.role === NodeRole.NODE_ROLE_REPLICA);
}

function sync(address: string): SyncClient {
  return new SyncClient(address, credentials.createInsecure());
}

/** Asks each member its position (adopting `term` when it is not 0); those that answer. */
async function ask(
  members: Member[],
  term: number,
  deadline: number,
  steps: ReturnType<typeof stepLog>,
): Promise<{ member: Member; pos: GetPositionResponse }[]> {
  const answers: { member: Member; pos: GetPositionResponse }[] = [];
  await Promise.all(
    members.map(async (member) => {
      const client = sync(member.grpcAddress);
      try {
        answers.push({ member, pos: await position(client, term, Math.min(deadline, Date.now() + NODE_ANSWER_MS)) });
      } catch {
        steps.add(`${member.id} did not answer${term ? ` with term ${term}` : ''}; left out`);
      } finally {
        client.close();
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
