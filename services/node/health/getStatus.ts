import type { GetStatusResponse } from '../../../gen/shoal/v1/health';
import { roleToProto } from '../../../common/cluster/roles';
import type { HealthDeps } from './server';

export function getStatus(ctx: Pick<HealthDeps, 'identity' | 'lifecycle'>): GetStatusResponse {
  const lc = ctx.lifecycle;
  return { live: true, ready: lc.ready, reasons: lc.reasons, phase: lc.phase, role: roleToProto(ctx.identity.role), registered: lc.registered };
}
