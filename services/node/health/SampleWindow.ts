import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { StreamStatusResponse } from '../../../gen/shoal/v1/health';
import type { CallTracker } from '../../../common/grpc/CallTracker';

/** Sampling interval of the event-loop delay monitor, ms. */
const RESOLUTION_MS = 10;

/** Load figures over the time since the previous `take()`: the load part of a StreamStatus sample. */
export type LoadFigures = Pick<
  StreamStatusResponse,
  'cpuPercent' | 'rssBytes' | 'heapUsedBytes' | 'heapTotalBytes' | 'eventLoopDelayP99Ms' | 'rpcRate' | 'inFlightCalls'
>;

/**
 * Measures this process's load between successive `take()` calls. Each consumer (a
 * StreamStatus call, the metrics endpoint) owns its window, so consumers at different periods
 * do not disturb one another's rates. `close()` releases the event-loop monitor.
 */
export class SampleWindow {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private lastCompleted: number;

  constructor(private readonly calls: CallTracker) {
    this.delay.enable();
    this.lastCompleted = calls.completedTotal;
  }

  take(): LoadFigures {
    const now = performance.now();
    const elapsedMs = Math.max(1, now - this.lastAt);
    const cpu = process.cpuUsage(this.lastCpu);
    const completed = this.calls.completedTotal;
    const memory = process.memoryUsage();
    const figures: LoadFigures = {
      cpuPercent: round2(((cpu.user + cpu.system) / 1000 / elapsedMs) * 100),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      // The histogram records whole timer intervals (an idle loop reads ~RESOLUTION_MS), so the
      // resolution is taken off to leave the delay itself. Empty before the first tick: 0.
      eventLoopDelayP99Ms: this.delay.count > 0 ? round2(Math.max(0, this.delay.percentile(99) / 1e6 - RESOLUTION_MS)) : 0,
      rpcRate: round2(((completed - this.lastCompleted) * 1000) / elapsedMs),
      inFlightCalls: this.calls.inFlight,
    };
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    this.lastCompleted = completed;
    this.delay.reset();
    return figures;
  }

  close(): void {
    this.delay.disable();
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
