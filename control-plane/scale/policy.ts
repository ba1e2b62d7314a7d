import type { ServerUnaryCall } from '@grpc/grpc-js';
import type {
  ClusterEvent,
  GetPolicyResponse,
  ScaleWorkersRequest,
  ScaleWorkersResponse,
  ScalingPolicy,
  SetPolicyRequest,
  SetPolicyResponse,
} from '../../gen/shoal/v1/scale';
import { type ScalingConfig, scalingPolicyProblem } from '../../common/config/clusterConfig';
import { invalidArgument } from '../../common/grpc/ServerError';
import { type LeaderGate, leaderAction } from './leaderAction';

/** What GetPolicy reads: the policy, and the worker counts beside it. */
export interface PolicyDeps {
  scaling: { policy(): Promise<ScalingConfig>; runningWorkers(): string[]; readonly last: ClusterEvent | undefined };
  reconciler: { readonly workerCount: number };
}

/** What SetPolicy and ScaleWorkers need besides the leader check. */
export interface PolicyChangeDeps extends LeaderGate {
  scaling: { setPolicy(policy: ScalingConfig): Promise<ScalingConfig>; scaleWorkers(count: number): Promise<number> };
}

export async function getPolicy(ctx: PolicyDeps): Promise<GetPolicyResponse> {
  return policyResponse(ctx, await ctx.scaling.policy());
}

/** `policy` with the worker counts and the last scaling decision. */
export function policyResponse(ctx: PolicyDeps, policy: ScalingConfig): GetPolicyResponse {
  return {
    policy: toProto(policy),
    workers: ctx.scaling.runningWorkers().length,
    desiredWorkers: ctx.reconciler.workerCount,
    lastDecision: ctx.scaling.last,
  };
}

/** SetPolicy and ScaleWorkers sit beside GetPolicy: one policy, three ways to touch it. */
export function setPolicy(
  ctx: PolicyChangeDeps,
  request: SetPolicyRequest,
  call: ServerUnaryCall<SetPolicyRequest, SetPolicyResponse>,
): Promise<SetPolicyResponse> {
  return leaderAction(ctx, 'SetPolicy', call, async () => {
    if (!request.policy) throw invalidArgument('policy is required');
    const policy = fromProto(request.policy);
    const problem = scalingPolicyProblem(policy);
    if (problem) throw invalidArgument(`policy.${snake(problem.field)} ${problem.problem}`);
    return { policy: toProto(await ctx.scaling.setPolicy(policy)) };
  });
}

export function scaleWorkers(
  ctx: PolicyChangeDeps,
  request: ScaleWorkersRequest,
  call: ServerUnaryCall<ScaleWorkersRequest, ScaleWorkersResponse>,
): Promise<ScaleWorkersResponse> {
  return leaderAction(ctx, 'ScaleWorkers', call, async () => ({ desiredWorkers: await ctx.scaling.scaleWorkers(request.workers) }));
}

/** The contract's ScalingPolicy and the config's scaling section have the same fields. */
const FIELDS = [
  'enabled',
  'minWorkers',
  'maxWorkers',
  'scaleUpCpuPercent',
  'scaleDownCpuPercent',
  'scaleUpBacklogPerWorker',
  'scaleDownBacklog',
  'upWindowMs',
  'downWindowMs',
  'cooldownMs',
  'step',
] as const;

function copyPolicy<T extends ScalingConfig | ScalingPolicy>(p: ScalingConfig | ScalingPolicy): T {
  return Object.fromEntries(FIELDS.map((f) => [f, p[f]])) as unknown as T;
}

const toProto = (p: ScalingConfig) => copyPolicy<ScalingPolicy>(p);
const fromProto = (p: ScalingPolicy) => copyPolicy<ScalingConfig>(p);

/** scaleUpCpuPercent → scale_up_cpu_percent, as the request names it. */
function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
