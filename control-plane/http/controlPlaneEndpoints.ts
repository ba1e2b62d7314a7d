import type { Server } from 'node:http';
import { createProbeServer } from '../../common/http/createProbeServer';
import type { ScaleContext } from '../scale/ScaleContext';
import type { ControlPlaneMetrics } from './controlPlaneMetrics';

/**
 * /health/live (the process answers), /health/ready (it sees Consul; leader or standby, both
 * are ready: a standby's job is to watch) and /metrics.
 */
export function createControlPlaneEndpoints(ctx: () => ScaleContext | undefined, metrics: ControlPlaneMetrics): Server {
  return createProbeServer({
    live: () => ({ id: ctx()?.id }),
    ready: () => {
      const c = ctx();
      return { ready: c !== undefined && !c.observer.blind, id: c?.id, leader: c?.isLeader() ?? false, blind: c?.observer.blind ?? true };
    },
    registry: metrics.registry,
  });
}
