import type { ClusterView } from './dashboardView';

/** One point of the charts: per-node figures and the event figures at one moment. */
export interface MetricPoint {
  atMs: number;
  nodes: Record<string, { cpuPercent: number; rssMiB: number; rpcPerSecond: number; eventLoopP99Ms: number }>;
  /** Events pending or leased; undefined when the backlog is unknown. */
  backlog: number | undefined;
  eventsPerSecond: number | undefined;
}

/**
 * The last few minutes of figures, so a page opened now shows history, not an empty chart.
 * Oldest points fall off the front once `windowMs` has passed.
 */
export class MetricHistory {
  private readonly points: MetricPoint[] = [];

  constructor(private readonly windowMs: number) {}

  add(view: ClusterView): MetricPoint {
    const nodes: MetricPoint['nodes'] = {};
    for (const n of view.nodes) {
      if (!n.sample) continue;
      nodes[n.id] = {
        cpuPercent: round(n.sample.cpuPercent),
        rssMiB: round(n.sample.rssBytes / 2 ** 20),
        rpcPerSecond: round(n.sample.rpcPerSecond),
        eventLoopP99Ms: round(n.sample.eventLoopP99Ms),
      };
    }
    const backlog = view.backlog && view.backlog.pending + view.backlog.leased;
    const point: MetricPoint = { atMs: view.atMs, nodes, backlog, eventsPerSecond: view.backlog?.eventsPerSecond };
    this.points.push(point);
    while (this.points.length > 0 && this.points[0].atMs < view.atMs - this.windowMs) this.points.shift();
    return point;
  }

  all(): MetricPoint[] {
    return [...this.points];
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
