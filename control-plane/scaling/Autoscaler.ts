import type { ScalingConfig } from '../../common/config/clusterConfig';

/** What the autoscaler looks at, each time it is asked. */
export interface ScalingInputs {
  now: number;
  /** Workers the control plane counts now (passing, streaming). */
  workers: number;
  /** Workers it is heading for. */
  desired: number;
  /** Cpu percent of each counted worker, from its status stream. */
  cpus: number[];
  /** Events not done on the primary: pending and leased (in flight). */
  backlog: number;
}

export interface ScalingDecision {
  direction: 'up' | 'down';
  from: number;
  to: number;
  reason: string;
  /** The figures behind it. */
  metrics: Record<string, number>;
}

/**
 * When to add or remove workers. Pure: time comes in with the inputs, so it is tested on a
 * fake clock.
 * - Up when the workers' average cpu is above scaleUpCpuPercent, or pending events per worker
 *   above scaleUpBacklogPerWorker, continuously for upWindowMs.
 * - Down when average cpu is below scaleDownCpuPercent and at most scaleDownBacklog events
 *   are pending, continuously for downWindowMs.
 * - Nothing within cooldownMs of the last action; `step` workers at a time; always within
 *   min/max (a count outside them is corrected at once); never to zero while events wait.
 * A load that flaps faster than the windows never holds a condition long enough to act.
 */
export class Autoscaler {
  private upSince = 0;
  private downSince = 0;
  private lastActionAt = Number.NEGATIVE_INFINITY;

  decide(policy: ScalingConfig, x: ScalingInputs): ScalingDecision | undefined {
    const avgCpu = x.cpus.length ? x.cpus.reduce((a, b) => a + b, 0) / x.cpus.length : 0;
    const perWorker = x.backlog / Math.max(1, x.workers);
    const metrics = { avgCpuPercent: round(avgCpu), backlog: x.backlog, backlogPerWorker: round(perWorker), workers: x.workers, desired: x.desired };
    if (x.desired < policy.minWorkers)
      return this.act(x.now, 'up', x.desired, policy.minWorkers, `below the policy's minimum of ${policy.minWorkers}`, metrics);
    if (x.desired > policy.maxWorkers)
      return this.act(x.now, 'down', x.desired, policy.maxWorkers, `above the policy's maximum of ${policy.maxWorkers}`, metrics);
    if (!policy.enabled) return this.reset();
    const hot = avgCpu > policy.scaleUpCpuPercent || perWorker > policy.scaleUpBacklogPerWorker;
    const cold = avgCpu < policy.scaleDownCpuPercent && x.backlog <= policy.scaleDownBacklog;
    this.upSince = hot ? this.upSince || x.now : 0;
    this.downSince = cold && !hot ? this.downSince || x.now : 0;
    // Workers still starting do not count yet: wait for them before deciding again.
    if (x.workers < x.desired || x.now - this.lastActionAt < policy.cooldownMs) return undefined;
    if (hot && x.desired < policy.maxWorkers && x.now - this.upSince >= policy.upWindowMs) {
      const why =
        avgCpu > policy.scaleUpCpuPercent
          ? `average cpu ${round(avgCpu)}% above ${policy.scaleUpCpuPercent}%`
          : `${round(perWorker)} pending events per worker, above ${policy.scaleUpBacklogPerWorker}`;
      return this.act(x.now, 'up', x.desired, Math.min(policy.maxWorkers, x.desired + policy.step), `${why} for ${policy.upWindowMs} ms`, metrics);
    }
    const floor = Math.max(policy.minWorkers, x.backlog > 0 ? 1 : 0);
    if (cold && !hot && x.desired > floor && x.now - this.downSince >= policy.downWindowMs) {
      return this.act(
        x.now,
        'down',
        x.desired,
        Math.max(floor, x.desired - policy.step),
        `average cpu ${round(avgCpu)}% below ${policy.scaleDownCpuPercent}% and ${x.backlog} pending for ${policy.downWindowMs} ms`,
        metrics,
      );
    }
    return undefined;
  }

  private act(now: number, direction: 'up' | 'down', from: number, to: number, reason: string, metrics: Record<string, number>): ScalingDecision {
    this.lastActionAt = now;
    this.reset();
    return { direction, from, to, reason, metrics };
  }

  private reset(): undefined {
    this.upSince = 0;
    this.downSince = 0;
    return undefined;
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
