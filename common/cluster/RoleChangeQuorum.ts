/**
 * How many of `replicas` that may hold acknowledged writes must answer, and take the new term,
 * before a role change may go ahead. Every acknowledged write is on `minAcks` of them, so
 * hearing from all but minAcks − 1 guarantees one of those answered; and the old primary, left
 * with at most minAcks − 1 replicas in its term, can get no write acknowledged any more. With
 * minAcks 0 (the documented lossy mode) nothing guarantees an acknowledged write is on any
 * replica: one answering replica is enough, and writes the old primary acknowledged alone may
 * be lost.
 */
export function roleChangeQuorum(replicas: number, minAcks: number): number {
  if (minAcks <= 0) return 1;
  return Math.max(1, replicas - minAcks + 1);
}

/**
 * How many replicas a fenced primary must hear from, still in its term, to know no role change
 * went past its term step meanwhile: the complement of the quorum, so the two cannot both be met
 * (0 with no replica: nobody could have been promoted in its place).
 */
export function stillPrimaryQuorum(replicas: number, minAcks: number): number {
  return Math.max(0, replicas - roleChangeQuorum(replicas, minAcks) + 1);
}

/**
 * The quorum of one role change (every failover and switchover, whoever makes it): over the
 * replicas that may hold acknowledged writes, i.e. the state nodes Consul lists and those
 * declared that it does not list now (deregistered for a restart, or dropped after
 * deregisterCriticalAfter), less the primary being replaced.
 */
export class RoleChangeQuorum {
  /** The replicas counted, sorted. */
  readonly expected: string[];
  readonly needed: number;
  private readonly minAcks: number;

  constructor(opts: { listed: string[]; declared: string[]; exclude?: string; minAcks: number }) {
    this.minAcks = opts.minAcks;
    this.expected = [...new Set([...opts.listed, ...opts.declared])].filter((id) => id !== opts.exclude).sort();
    this.needed = roleChangeQuorum(this.expected.length, opts.minAcks);
  }

  /** The counted replicas not among `answered`. */
  missing(answered: string[]): string[] {
    return this.expected.filter((id) => !answered.includes(id));
  }

  /** Why `answered` is not a quorum, naming who was not reached; undefined when it is. */
  shortOf(answered: string[], what = 'answered'): string | undefined {
    const counted = answered.filter((id) => this.expected.includes(id)).length;
    if (counted >= this.needed) return undefined;
    const mode = this.minAcks <= 0 ? 'with minAcks 0 (asynchronous, the lossy mode: one answering replica is enough)' : `with minAcks ${this.minAcks}`;
    return `only ${counted} of ${this.expected.length} replicas ${what}; ${mode} at least ${this.needed} must, or an acknowledged write could be lost (not reached: ${this.missing(answered).join(', ') || 'none'})`;
  }

  /** What going ahead with only `answered` risks. */
  risk(answered: string[]): string {
    const lost =
      this.minAcks <= 0
        ? 'writes the old primary acknowledged alone (minAcks 0) are lost'
        : `writes acknowledged by them (sync.minAcks ${this.minAcks}) and not on a replica that answered are lost`;
    return `going ahead without ${this.missing(answered).join(', ')}: ${lost}, and until they read the new leader record the old primary may still get writes acknowledged by them`;
  }
}
