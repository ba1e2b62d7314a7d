/**
 * The bytes of values one replication message (a batch, a snapshot chunk, a Reconcile call) may
 * carry: no gRPC message may exceed MAX_GRPC_MESSAGE_BYTES (4 MiB), and one value can be 1 MiB.
 */
export const MAX_MESSAGE_VALUE_BYTES = 3 * 1024 * 1024;

/** The longest prefix of `items` within MAX_MESSAGE_VALUE_BYTES (always at least one item). */
export function capBytes<T>(items: T[], size: (item: T) => number): T[] {
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    bytes += size(items[i]);
    if (i > 0 && bytes > MAX_MESSAGE_VALUE_BYTES) return items.slice(0, i);
  }
  return items;
}
