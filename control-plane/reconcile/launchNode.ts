import { NodePhase } from '../../gen/shoal/v1/scale';
import { DomainError } from '../../common/errors/DomainError';
import type { StartedNodeProcess } from '../placement/Placement';
import type { Track } from './NodeTracks';
import type { ReconcileScope } from './ReconcileScope';

/**
 * Starts a declared node through the placement, follows its status stream as soon as its
 * address is known, and wakes the loop when the process exits.
 * @throws DomainError `precondition` when the node is not declared (a node started by hand).
 */
export async function launchNode(scope: ReconcileScope, t: Track): Promise<StartedNodeProcess> {
  if (!t.declared) throw new DomainError('precondition', `${t.id} is not declared in the cluster config; the control plane cannot start it`);
  // A node that had a process before (ours, or re-adopted from another control plane) restarts.
  const restarts = t.pid !== 0 ? t.restarts + 1 : t.restarts;
  const started = await scope.placement.start(t.declared, restarts);
  t.restarts = restarts;
  t.managed = true;
  t.pid = started.pid;
  t.startedAt = Date.now();
  t.phase = NodePhase.NODE_PHASE_STARTING;
  t.detail = '';
  if (started.grpcAddress) scope.observer.watchNode(t.id, started.grpcAddress);
  void started.exited.then(() => scope.wake());
  return started;
}
