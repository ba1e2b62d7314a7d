import { z } from 'zod';
import { bool, doc, int, ms, num, section } from './fields';

const window = (description: string, fallback: number) => doc(ms(0, 3_600_000).default(fallback), { description, unit: 'ms' });

/**
 * Autoscaling of workers (the seed's thresholds as defaults); Scale.SetPolicy can replace it. The
 * cpu percentages and the backlog per worker may be fractions, as the contract's doubles.
 */
export const scalingSchema = section({
  enabled: doc(bool().default(true), { description: 'Whether the control plane scales workers on its own.' }),
  minWorkers: doc(int(0, 100).optional(), {
    description: 'Fewest workers.',
    unit: 'workers',
    defaultText: "the workers the config declares (the worker templates' counts)",
  }),
  maxWorkers: doc(int(0, 100).optional(), { description: 'Most workers; not below minWorkers.', unit: 'workers', defaultText: 'max(minWorkers, 6)' }),
  scaleUpCpuPercent: doc(num(1, 100).default(80), { description: "Scale up when the workers' average cpu stays above this.", unit: 'percent' }),
  scaleDownCpuPercent: doc(num(0, 99).default(20), { description: 'Scale down when it stays below this; below scaleUpCpuPercent.', unit: 'percent' }),
  scaleUpBacklogPerWorker: doc(num(1, 1_000_000).default(50), { description: 'Scale up when pending events per worker stay above this.', unit: 'events' }),
  scaleDownBacklog: doc(int(0, 1_000_000).default(0), { description: 'Scale down only while at most this many events are pending.', unit: 'events' }),
  upWindowMs: window('How long the scale-up condition must hold.', 10000),
  downWindowMs: window('How long the scale-down condition must hold.', 30000),
  cooldownMs: window('No scaling for this long after a scaling action.', 15000),
  step: doc(int(1, 100).default(1), { description: 'Workers added or removed per action.', unit: 'workers' }),
});

/** The scaling section with its worker bounds filled, as the control plane uses it. */
export type ScalingConfig = Omit<z.output<typeof scalingSchema>, 'minWorkers' | 'maxWorkers'> & { minWorkers: number; maxWorkers: number };

/** The rules between scaling fields, as issues at `path` (the config's `scaling`, or none for Scale.SetPolicy). */
export function scalingIssues(p: ScalingConfig, path: PropertyKey[]): z.core.$ZodRawIssue[] {
  const issues: z.core.$ZodRawIssue[] = [];
  const at = (field: string, message: string) => issues.push({ code: 'custom', path: [...path, field], message, input: p });
  if (p.maxWorkers < p.minWorkers) at('maxWorkers', `is ${p.maxWorkers}, below minWorkers (${p.minWorkers})`);
  if (p.scaleDownCpuPercent >= p.scaleUpCpuPercent)
    at('scaleDownCpuPercent', `must be below scaleUpCpuPercent (got ${p.scaleDownCpuPercent} and ${p.scaleUpCpuPercent})`);
  return issues;
}

/** A whole policy, as Scale.SetPolicy receives it: every field given, the same limits and rules as the config. */
const policySchema = scalingSchema.required().transform((p, ctx) => {
  ctx.issues.push(...scalingIssues(p, []));
  return p;
});

/**
 * Why a scaling policy cannot work, naming the field; undefined when it can. The config and
 * Scale.SetPolicy share the scaling schema's limits and rules.
 */
export function scalingPolicyProblem(p: ScalingConfig): { field: string; problem: string } | undefined {
  const result = policySchema.safeParse(p);
  const issue = result.error?.issues[0];
  if (!issue) return undefined;
  return { field: issue.path.map(String).join('.'), problem: issue.message };
}
