import type { Logger } from 'pino';
import type { ControlPlaneLeader } from '../../common/cluster/controlPlaneLeader';
import type { DecisionLog } from '../events/DecisionLog';
import type { EventJournal } from '../events/EventJournal';
import type { ClusterObserver } from '../observe/ClusterObserver';
import type { Reconciler } from '../reconcile/Reconciler';
import type { ScalingController } from '../scaling/ScalingController';

/**
 * The pieces of a running control plane, as it hands them to its Scale RPCs (each handler
 * declares the part it reads: ScaleServerDeps) and its HTTP endpoints.
 */
export interface ScaleContext {
  id: string;
  cluster: string;
  logger: Logger;
  /** Bearer token mutating RPCs require; empty: none required. */
  token: string;
  isLeader(): boolean;
  leader(): ControlPlaneLeader | undefined;
  observer: ClusterObserver;
  reconciler: Reconciler;
  scaling: ScalingController;
  journal: EventJournal;
  decisionLog: DecisionLog;
}
