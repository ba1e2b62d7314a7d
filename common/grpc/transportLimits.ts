import type { ChannelOptions } from '@grpc/grpc-js';

/**
 * The largest gRPC message any shoal process sends or accepts. A value is at most 1 MiB and a
 * replication message carries at most 3 MiB of values (replication/messageSize.ts), so 4 MiB
 * (grpc-js's default receive limit, said here rather than assumed) leaves room for keys and
 * framing. A larger message fails at the sender with RESOURCE_EXHAUSTED instead of being
 * pushed onto the wire for the receiver to drop.
 */
export const MAX_GRPC_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Every server's limits: message sizes, HTTP/2 streams per connection, and pings to find dead peers. */
export const SERVER_LIMITS: ChannelOptions = {
  'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
  // Far above what shoal opens (a stream per replica, watcher or status follower, a call per request in flight).
  'grpc.max_concurrent_streams': 1000,
  // A peer that vanished (its host gone, no socket closed) holding a stream is found within 15 s,
  // not when the kernel gives up on the connection. Servers ping; clients never do, so no
  // server's ping-abuse limit is ever hit by shoal's own clients.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
};

/** Every client channel's limits. */
export const CLIENT_LIMITS: ChannelOptions = {
  'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
};
