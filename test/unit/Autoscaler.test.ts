import assert from 'node:assert/strict';
import { parseClusterConfig, type ScalingConfig } from '../../common/config/clusterConfig';
import { Autoscaler, type ScalingInputs } from '../../control-plane/scaling/Autoscaler';

const POLICY: ScalingConfig = {
  ...parseClusterConfig({}).scaling,
  minWorkers: 1,
  maxWorkers: 4,
  upWindowMs: 10_000,
  downWindowMs: 30_000,
  cooldownMs: 15_000,
  step: 1,
};

/** Feeds the autoscaler one sample a second, applying its decisions; returns the count over time. */
function run(samples: { cpu: number; backlog?: number; seconds: number }[], policy = POLICY, start = 1): { counts: number[]; decisions: string[] } {
  const scaler = new Autoscaler();
  let desired = start;
  let now = 0;
  const counts: number[] = [];
  const decisions: string[] = [];
  for (const s of samples) {
    for (let i = 0; i < s.seconds; i++) {
      now += 1000;
      const x: ScalingInputs = { now, workers: desired, desired, cpus: Array.from({ length: desired }, () => s.cpu), backlog: s.backlog ?? 0 };
      const d = scaler.decide(policy, x);
      if (d) {
        decisions.push(`${d.direction} ${d.from}->${d.to} at ${now / 1000}s`);
        desired = d.to;
      }
      counts.push(desired);
    }
  }
  return { counts, decisions };
}

describe('Autoscaler', function () {
  it('scales up only after the load held for the up window, then waits out the cooldown', function () {
    const { decisions } = run([{ cpu: 95, seconds: 40 }]);
    assert.deepEqual(decisions, ['up 1->2 at 11s', 'up 2->3 at 26s']);
  });

  it('scales up on backlog per worker too, with the metrics behind the decision', function () {
    const scaler = new Autoscaler();
    let d;
    for (let t = 1; t <= 11 && !d; t++) d = scaler.decide(POLICY, { now: t * 1000, workers: 2, desired: 2, cpus: [10, 10], backlog: 400 });
    assert.equal(d?.direction, 'up');
    assert.match(d.reason, /200 pending events per worker, above 50/);
    assert.deepEqual(d.metrics, { avgCpuPercent: 10, backlog: 400, backlogPerWorker: 200, workers: 2, desired: 2 });
  });

  it('stays within min and max, and corrects a count outside them at once', function () {
    assert.equal(Math.max(...run([{ cpu: 100, seconds: 200 }]).counts), 4);
    assert.equal(Math.min(...run([{ cpu: 0, seconds: 200 }], POLICY, 4).counts), 1);
    const scaler = new Autoscaler();
    assert.deepEqual(scaler.decide({ ...POLICY, minWorkers: 3 }, { now: 1, workers: 1, desired: 1, cpus: [50], backlog: 0 })?.to, 3);
    assert.deepEqual(scaler.decide({ ...POLICY, maxWorkers: 2 }, { now: 2, workers: 4, desired: 4, cpus: [50], backlog: 0 })?.to, 2);
  });

  it('does not flap with a load that flaps faster than its windows (hysteresis)', function () {
    const flapping = Array.from({ length: 20 }, (_, i) => ({ cpu: i % 2 ? 95 : 5, seconds: 5 }));
    assert.deepEqual(run(flapping, POLICY, 2).decisions, []);
    // Between the thresholds nothing happens either.
    assert.deepEqual(run([{ cpu: 50, seconds: 120 }], POLICY, 2).decisions, []);
  });

  it('never scales down while the load is hot, whatever the down thresholds allow', function () {
    // Low cpu, and a backlog the down threshold tolerates, but above the per-worker bound.
    const policy = { ...POLICY, scaleDownBacklog: 500 };
    const scaler = new Autoscaler();
    const downs = [];
    for (let t = 1; t <= 120; t++) {
      const d = scaler.decide(policy, { now: t * 1000, workers: 4, desired: 4, cpus: [10, 10, 10, 10], backlog: 400 });
      if (d?.direction === 'down') downs.push(d);
    }
    assert.deepEqual(downs, []);
  });

  it('scales down after the quiet window, never to zero while events wait, and not while disabled', function () {
    assert.deepEqual(run([{ cpu: 5, seconds: 31 }], POLICY, 3).decisions, ['down 3->2 at 31s']);
    assert.deepEqual(run([{ cpu: 5, backlog: 3, seconds: 60 }], { ...POLICY, minWorkers: 0, scaleDownBacklog: 5 }, 1).decisions, []);
    assert.deepEqual(run([{ cpu: 99, seconds: 60 }], { ...POLICY, enabled: false }, 2).decisions, []);
  });
});
