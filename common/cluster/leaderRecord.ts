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
  /**
   * Which start of the primary the record names (NodeIdentity.incarnation): another start of
   * the same id must take a new term before it acts as primary. Absent in records written
   * before incarnations existed: no check.
   */
  incarnation?: string;
  /**
   * The primary's store (StateStore.storeId): a process with the primary's id but another store
   * (an empty copy on another host) holds none of the data and must not take over. Absent in
   * older records: no check.
   */
  storeId?: string;
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

function parseLeader(text: string): LeaderRecord {
  const raw = JSON.parse(text) as Partial<LeaderRecord>;
  if (typeof raw.term !== 'number' || typeof raw.primaryId !== 'string' || typeof raw.primaryAddress !== 'string') {
    throw new Error(`malformed leader record in Consul: ${text}`);
  }
  return {
    term: raw.term,
    primaryId: raw.primaryId,
    primaryAddress: raw.primaryAddress,
    changedAtMs: raw.changedAtMs ?? 0,
    reason: raw.reason ?? '',
    ...(typeof raw.incarnation === 'string' && raw.incarnation ? { incarnation: raw.incarnation } : {}),
    ...(typeof raw.storeId === 'string' && raw.storeId ? { storeId: raw.storeId } : {}),
  };
}
