import { NodePhase } from '../../gen/shoal/v1/scale';
import type { ClusterConfig } from '../../common/config/clusterConfig';
import { Backoff } from '../../common/net/Backoff';
import { type DeclaredNode, declaredNodes } from './declaredNodes';

/** What the control plane keeps about one node between reconcile passes. */
export interface Track {
  id: string;
  declared?: DeclaredNode;
  phase: NodePhase;
  /** Its process is ours (started or re-adopted by the placement). */
  managed: boolean;
  pid: number;
  restarts: number;
  backoff: Backoff;
  /** No start before this (restart backoff), ms. */
  nextStartAt: number;
  /** When the control plane last started it, ms; 0 if never. */
  startedAt: number;
  /** Since when it runs without passing, ms; 0 when it passes. */
  suspectedAt: number;
  drained: boolean;
  /** The unmanaged-adoption event was recorded. */
  adoptionReported: boolean;
  /** The placement host its process is recorded on; '' for this machine or none. */
  host: string;
  /** Since when its host cannot be reached (the placement's word), ms; 0 while it can. */
  unreachableSince: number;
  /** A primary only the control plane cannot hear was logged (once per silence). */
  silenceLogged: boolean;
  /** A worker on an unreachable host replaced under this new id: its own id is never used again. */
  replacedBy: string;
  detail: string;
}

/**
 * The reconciler's table: a track per node it has seen or declared, the nodes the config
 * declares now (the autoscaler changes the workers), and the workers being retired.
 */
export class NodeTracks {
  private readonly byId = new Map<string, Track>();
  /** The declared nodes, in the config's order. */
  declared: DeclaredNode[];
  /** Workers being drained and stopped after a scale-down; not reconciled meanwhile. */
  readonly retiring = new Set<string>();

  constructor(private readonly config: ClusterConfig) {
    this.declared = declaredNodes(config);
    for (const d of this.declared) this.track(d.id).declared = d;
  }

  /** The node's track, made (pending, unmanaged) if it has none yet. */
  track(id: string): Track {
    let t = this.byId.get(id);
    if (!t) {
      const { restartBackoffInitial, restartBackoffMax } = this.config.controlPlane;
      t = {
        id,
        phase: NodePhase.NODE_PHASE_PENDING,
        managed: false,
        pid: 0,
        restarts: 0,
        backoff: new Backoff({ initialMs: restartBackoffInitial, maxMs: restartBackoffMax }),
        nextStartAt: 0,
        startedAt: 0,
        suspectedAt: 0,
        drained: false,
        adoptionReported: false,
        host: '',
        unreachableSince: 0,
        silenceLogged: false,
        replacedBy: '',
        detail: '',
      };
      this.byId.set(id, t);
    }
    return t;
  }

  /** The node's track if it has one. */
  find(id: string): Track | undefined {
    return this.byId.get(id);
  }

  forget(id: string): void {
    this.byId.delete(id);
  }

  /** Ids of the nodes whose process is ours. */
  managedIds(): string[] {
    return [...this.byId.values()].filter((t) => t.managed).map((t) => t.id);
  }
}
