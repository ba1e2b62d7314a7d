import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { CallTracker } from '../../../common/grpc/CallTracker';

/** Load figures over the time since the previous `take()`. */
export interface LoadFigures {
  cpuPercent: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  eventLoopDelayP99Ms: number;
  rpcRate: number;
  inFlightCalls: number;
}

/**
 * Measures this process's load between successive `take()` calls. Each consumer (a
 * StreamStatus call, the metrics endpoint) owns its window, so consumers at different periods
 * do not disturb one another's rates. `close()` releases the event-loop monitor.
 */
export class SampleWindow {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
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
      // The histogram is empty until the first 10 ms tick; NaN would not encode as a double
      // that clients expect, so report 0 for "no delay measured".
      eventLoopDelayP99Ms: this.delay.count > 0 ? round2(this.delay.percentile(99) / 1e6) : 0,
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
