import type { BlockingOptions, ConsulApi } from '../consul/ConsulApi';

/**
 * Who the primary is and for which term: the cluster's single source of truth, in Consul KV at
 * `shoal/<cluster>/leader`. It changes only by compare-and-set, and the term only grows.
 */
export interface LeaderRecord {
  term: number;
  primaryId: string;
  /** host:port of the primary's gRPC server. */
  primaryAddress: string;
  changedAtMs: number;
  /** Why it changed: bootstrap, switchover, failover. */
  reason: string;
}

export function leaderKey(cluster: string): string {
  return `shoal/${cluster}/leader`;
}

export interface LeaderRead {
  record: LeaderRecord | undefined;
  /** ModifyIndex to compare-and-set against (0 when there is no record). */
  modifyIndex: number;
  /** X-Consul-Index, for the next blocking read. */
  index: string;
}

/** Reads the leader record; a blocking read with `opts.index`. */
export async function readLeader(consul: ConsulApi, cluster: string, opts: BlockingOptions = {}): Promise<LeaderRead> {
  const { index, value } = await consul.kvGet(leaderKey(cluster), opts);
  if (!value) return { record: undefined, modifyIndex: 0, index };
  return { record: parseLeader(value.value), modifyIndex: value.modifyIndex, index };
}

/**
 * Replaces the record if nobody changed it since `read` and the term grows.
 * @returns false when the compare-and-set lost (someone else changed it first).
 * @throws when `next.term` does not exceed the current term.
 */
export async function casLeader(consul: ConsulApi, cluster: string, read: LeaderRead, next: LeaderRecord): Promise<boolean> {
  if (read.record && next.term <= read.record.term) {
    throw new Error(`term must grow: ${next.term} is not above the current ${read.record.term}`);
  }
  return consul.kvCas(leaderKey(cluster), JSON.stringify(next), read.modifyIndex);
}

/**
 * Moves the current primary's address (it restarted on another port), keeping its term.
 * @returns false when the record changed meanwhile.
 */
export async function updateLeaderAddress(consul: ConsulApi, cluster: string, read: LeaderRead, next: LeaderRecord): Promise<boolean> {
  if (!read.record || read.record.term !== next.term || read.record.primaryId !== next.primaryId) {
    throw new Error('only the address of the current primary, in its current term, can be updated');
  }
  return consul.kvCas(leaderKey(cluster), JSON.stringify(next), read.modifyIndex);
}

function parseLeader(text: string): LeaderRecord {
  const raw = JSON.parse(text) as Partial<LeaderRecord>;
  if (typeof raw.term !== 'number' || typeof raw.primaryId !== 'string' || typeof raw.primaryAddress !== 'string') {
    throw new Error(`malformed leader record in Consul: ${text}`);
  }
  return { term: raw.term, primaryId: raw.primaryId, primaryAddress: raw.primaryAddress, changedAtMs: raw.changedAtMs ?? 0, reason: raw.reason ?? '' };
}
