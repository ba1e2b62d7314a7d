import type { Logger } from 'pino';
import type { ControlPlaneLeader } from '../../common/cluster/controlPlaneLeader';
import type { DecisionLog } from '../events/DecisionLog';
import type { EventJournal } from '../events/EventJournal';
import type { ClusterObserver } from '../observe/ClusterObserver';
import type { Reconciler } from '../reconcile/Reconciler';

/** What the Scale RPCs need of the control plane. */
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
  journal: EventJournal;
  decisionLog: DecisionLog;
}
