import { Metadata } from '@grpc/grpc-js';
import type { SyncClient } from '../../../gen/shoal/v1/sync';
import type { StateStore } from '../store/StateStore';
import { storedFromProto } from './wire';

/**
 * One anti-entropy round on a replica: compare per-bucket digests of the keys last written at
 * or before our applied position with the primary's, and replace the buckets that differ with
 * the primary's values. Keys the primary wrote after that position are left out on both sides
 * (they are still on their way here). Returns the keys repaired.
 */
export async function runAntiEntropy(client: SyncClient, store: StateStore, signal: AbortSignal): Promise<string[]> {
  const at = store.lastPosition;
  const term = store.term;
  const theirs = await unary<{ buckets: Buffer[]; changedKeys: string[] }>((cb) =>
    client.getDigest({ term, atPosition: at }, new Metadata(), { deadline: Date.now() + 10_000 }, cb),
  );
  const changed = new Set(theirs.changedKeys);
  const ours = store.digests(at, changed);
  const differing = ours.map((d, bucket) => (d.equals(Buffer.from(theirs.buckets[bucket] ?? Buffer.alloc(0))) ? -1 : bucket)).filter((b) => b >= 0);
  const repaired: string[] = [];
  for (const bucket of differing) {
    const values = await unary<{ values: Parameters<typeof storedFromProto>[0][]; changedKeys: string[] }>((cb) =>
      client.getBucket({ term, atPosition: at, bucket }, new Metadata(), { deadline: Date.now() + 10_000 }, cb),
    );
    // The follower stopped meanwhile (this node may be promoted next): repair nothing.
    if (signal.aborted) return repaired;
    const excluded = new Set([...changed, ...values.changedKeys]);
    repaired.push(...(await store.repairBucket(bucket, at, excluded, values.values.filter((v) => !excluded.has(v.key)).map(storedFromProto))));
  }
  return repaired;
}

function unary<T>(call: (cb: (err: Error | null, res: T) => void) => unknown): Promise<T> {
  return new Promise((resolve, reject) => call((err, res) => (err ? reject(err) : resolve(res))));
}
