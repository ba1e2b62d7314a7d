import type { ServerWritableStream } from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GetBacklogResponse } from '../../gen/shoal/v1/events';
import type { WatchClusterRequest, WatchClusterResponse } from '../../gen/shoal/v1/scale';
import type { ScalingConfig } from '../../common/config/clusterConfig';
import { invalidArgument } from '../../common/grpc/ServerError';
import { writeWithBackpressure } from '../../common/grpc/writeWithBackpressure';
import { getTopology, type TopologyDeps } from './getTopology';
import { type PolicyDeps, policyResponse } from './policy';

const DEFAULT_PERIOD_MS = 1000;
const MIN_PERIOD_MS = 100;
const MAX_PERIOD_MS = 60_000;
/** The leader reads the backlog once a second; a reading older than this is not sent. */
const BACKLOG_FRESH_MS = 3000;

/** What WatchCluster reads: the topology, the policy, and the backlog the scaling tick read. */
export type WatchClusterDeps = TopologyDeps &
  PolicyDeps & {
    scaling: {
      readonly backlog: { figures: GetBacklogResponse; atMs: number } | undefined;
      knownPolicy(): ScalingConfig;
    };
  };

/**
 * The whole picture every period: what the dashboard draws. Built from what this instance
 * already holds (its status streams, the backlog its scaling tick read), so a watcher costs
 * the nodes nothing.
 */
export async function watchCluster(
  ctx: WatchClusterDeps,
  request: WatchClusterRequest,
  call: ServerWritableStream<WatchClusterRequest, WatchClusterResponse>,
  cancelled: AbortSignal,
): Promise<void> {
  const periodMs = request.periodMs || DEFAULT_PERIOD_MS;
  if (periodMs < MIN_PERIOD_MS || periodMs > MAX_PERIOD_MS) {
    throw invalidArgument(`period_ms must be 0 (default ${DEFAULT_PERIOD_MS}) or from ${MIN_PERIOD_MS} to ${MAX_PERIOD_MS}, got ${request.periodMs}`);
  }
  while (!cancelled.aborted) {
    // Only a fresh reading: an old one (the primary is gone, Consul is away, or this instance
    // read it when it last led) would show old throughput as current.
    const reading = ctx.scaling.backlog;
    const backlog = ctx.isLeader() && reading && Date.now() - reading.atMs <= BACKLOG_FRESH_MS ? reading : undefined;
    // The policy as last read: a Consul that is slow or away must not stall the picture (the
    // page matters most then). The leader's scaling tick reads it every second; a standby has
    // no tick, so it reads it for the next period in the background.
    const scaling = policyResponse(ctx, ctx.scaling.knownPolicy());
    if (!ctx.isLeader()) ctx.scaling.policy().catch(() => undefined);
    await writeWithBackpressure(
      call,
      { atUnixMs: Date.now(), topology: getTopology(ctx), scaling, backlog: backlog?.figures, backlogAtUnixMs: backlog?.atMs ?? 0 },
      cancelled,
    );
    await sleep(periodMs, undefined, { signal: cancelled }).catch(() => undefined);
  }
}
