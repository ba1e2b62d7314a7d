import { unaryCall } from '../../../common/client/grpcCall';
import type { SyncClient } from '../../../gen/shoal/v1/sync';
import type { StateStore } from '../store/StateStore';
import { storedFromProto } from './wire';

/**
 * One anti-entropy round on a replica: compare per-bucket digests of the keys last written at
 * or before our applied position with the primary's, and replace the buckets that differ with
 * the primary's values. Keys the primary wrote after that position are left out on both sides
 * (they are still on their way here). Returns the keys repaired. `signal` (the follower
 * stopping) cancels the call in flight: a follower told of a new term must not wait seconds on
 * a primary whose host vanished before it can be promoted.
 */
export async function runAntiEntropy(client: SyncClient, store: StateStore, signal: AbortSignal): Promise<string[]> {
  const at = store.lastPosition;
  const term = store.term;
  const theirs = await unaryCall<{ buckets: Buffer[]; changedKeys: string[] }>(
    (m, o, cb) => client.getDigest({ term, atPosition: at }, m, o, cb),
    Date.now() + 10_000,
    signal,
  );
  const changed = new Set(theirs.changedKeys);
  // Ours leave out the same keys, and any we applied past `at` since asking.
  const ours = store.digests(new Set([...changed, ...store.changedAfter(at)]));
  const differing = ours.map((d, bucket) => (d.equals(Buffer.from(theirs.buckets[bucket] ?? Buffer.alloc(0))) ? -1 : bucket)).filter((b) => b >= 0);
  const repaired: string[] = [];
  for (const bucket of differing) {
    const values = await unaryCall<{ values: Parameters<typeof storedFromProto>[0][]; changedKeys: string[] }>(
      (m, o, cb) => client.getBucket({ term, atPosition: at, bucket }, m, o, cb),
      Date.now() + 10_000,
      signal,
    );
    // The follower stopped meanwhile (this node may be promoted next): repair nothing.
    if (signal.aborted) return repaired;
    const excluded = new Set([...changed, ...values.changedKeys]);
    repaired.push(...(await store.repairBucket(bucket, at, excluded, values.values.filter((v) => !excluded.has(v.key)).map(storedFromProto))));
  }
  return repaired;
}
