import type { ServerWritableStream } from '@grpc/grpc-js';
import type { StreamStatusRequest, StreamStatusResponse } from '../../../gen/shoal/v1/health';
import { roleToProto } from '../../../common/cluster/roles';
import { invalidArgument, unavailable } from '../../../common/grpc/ServerError';
import { writeWithBackpressure } from '../../../common/grpc/writeWithBackpressure';
import type { HealthDeps } from './server';
import { SampleWindow } from './SampleWindow';

export const MIN_PERIOD_MS = 100;
export const MAX_PERIOD_MS = 60_000;

/** A sample every period until the caller cancels or the node drains (then UNAVAILABLE). */
export async function streamStatus(
  ctx: HealthDeps,
  request: StreamStatusRequest,
  call: ServerWritableStream<StreamStatusRequest, StreamStatusResponse>,
  cancelled: AbortSignal,
): Promise<void> {
  const periodMs = request.periodMs === 0 ? ctx.samplePeriodMs : request.periodMs;
  if (periodMs < MIN_PERIOD_MS || periodMs > MAX_PERIOD_MS) {
    throw invalidArgument(`period_ms must be 0 (default) or from ${MIN_PERIOD_MS} to ${MAX_PERIOD_MS}, got ${request.periodMs}`);
  }
  const window = new SampleWindow(ctx.calls);
  const draining = ctx.lifecycle.drainSignal;
  const ended = AbortSignal.any([cancelled, draining]);
  let sequence = 0;
  try {
    // The first sample goes out at once so a watcher knows the node is there; its rates cover
    // the few microseconds since the window opened and read as zero.
    for (;;) {
      const lc = ctx.lifecycle;
      sequence += 1;
      await writeWithBackpressure(
        call,
        {
          sequence,
          nodeId: ctx.identity.id,
          role: roleToProto(ctx.identity.role),
          live: true,
          ready: lc.ready,
          phase: lc.phase,
          ...window.take(),
          sampledAtUnixMs: Date.now(),
          ...replicationFigures(ctx),
          incarnation: ctx.identity.incarnation,
          storeId: ctx.replication?.store.storeId ?? '',
          primarySilenceMs: ctx.replication?.primarySilenceMs() ?? 0,
          leaseHeld: ctx.replication?.leaseHeld ?? false,
        },
        ended,
      );
      const outcome = await tick(periodMs, cancelled, draining);
      if (outcome === 'cancelled') return;
      if (outcome === 'draining') throw unavailable('node is shutting down');
    }
  } finally {
    window.close();
  }
}

type ReplicationFigures = Pick<
  StreamStatusResponse,
  'term' | 'logPosition' | 'replicationLagEntries' | 'antiEntropyAtUnixMs' | 'antiEntropyRepairedKeys' | 'conflictsResolved'
>;

/** Term, position, lag, the last anti-entropy round and conflicts for a sample; zeros on a worker. */
function replicationFigures(ctx: Pick<HealthDeps, 'replication'>): ReplicationFigures {
  const r = ctx.replication;
  if (!r) return { term: 0, logPosition: 0, replicationLagEntries: 0, antiEntropyAtUnixMs: 0, antiEntropyRepairedKeys: 0, conflictsResolved: 0 };
  const position = r.store.lastPosition;
  const lag =
    r.role === 'primary'
      ? Math.max(0, ...(r.acks?.replicas() ?? []).map((x) => position - x.applied))
      : Math.max(0, (r.follower?.primaryLast ?? position) - position);
  const antiEntropy = r.follower?.lastAntiEntropy ?? { atMs: 0, repairedKeys: 0 };
  return {
    term: r.term,
    logPosition: position,
    replicationLagEntries: lag,
    antiEntropyAtUnixMs: antiEntropy.atMs,
    antiEntropyRepairedKeys: antiEntropy.repairedKeys,
    conflictsResolved: r.store.conflictsResolved(),
  };
}

function tick(ms: number, cancelled: AbortSignal, draining: AbortSignal): Promise<'tick' | 'cancelled' | 'draining'> {
  if (cancelled.aborted) return Promise.resolve('cancelled');
  if (draining.aborted) return Promise.resolve('draining');
  return new Promise((resolve) => {
    const done = (outcome: 'tick' | 'cancelled' | 'draining') => () => {
      clearTimeout(timer);
      cancelled.removeEventListener('abort', onCancel);
      draining.removeEventListener('abort', onDrain);
      resolve(outcome);
    };
    const onCancel = done('cancelled');
    const onDrain = done('draining');
    const timer = setTimeout(done('tick'), ms);
    cancelled.addEventListener('abort', onCancel, { once: true });
    draining.addEventListener('abort', onDrain, { once: true });
  });
}
