/**
 * How many of the `replicas` that may hold acknowledged writes (the declared state nodes other
 * than the primary being replaced, plus any other Consul lists) must answer, and take the new
 * term, before a role change may go ahead. Every acknowledged write is on `minAcks` of them,
 * so hearing from all but minAcks − 1 guarantees one of those answered; and the old primary,
 * left with at most minAcks − 1 replicas in its term, can get no write acknowledged any more.
 * With minAcks 0 (the documented lossy mode) nothing guarantees an acknowledged write is on any
 * replica: one answering replica is enough to promote, and writes the old primary acknowledged
 * alone may be lost.
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
