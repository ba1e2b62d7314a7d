import { ClusterEventKind, NodePhase } from '../../gen/shoal/v1/scale';
import { DomainError } from '../../common/errors/DomainError';
import { type DeclaredNode, declaredNodes } from './declaredNodes';
import type { Track } from './NodeTracks';
import { drainGrace, type ReconcileScope } from './ReconcileScope';

/** The declared workers, grown and shrunk on the autoscaler's (or an operator's) word. */
export class WorkerScaling {
  constructor(private readonly scope: ReconcileScope) {}

  /** Workers the config declares now (the autoscaler changes it). */
  get workerCount(): number {
    return this.scope.tracks.declared.filter((d) => d.role === 'worker').length;
  }

  /**
   * Declares `count` workers. Added ones (the lowest free `<template>-<n>` ids) start on the
   * next pass. Removed ones are the least useful first (not running yet, then the least busy);
   * each drains (it stops leasing, finishes or hands back its events, leaves Consul) and is
   * forgotten. Resolves with the ids added and removed, once the removed ones stopped.
   * @throws DomainError `precondition` when the cluster config declares no worker.
   */
  async setWorkerCount(count: number): Promise<{ added: string[]; removed: string[] }> {
    const { config, observer, tracks } = this.scope;
    const template = declaredNodes(config).find((d) => d.role === 'worker');
    if (!template) throw new DomainError('precondition', 'the cluster config declares no worker template to scale');
    const workers = tracks.declared.filter((d) => d.role === 'worker');
    const added: string[] = [];
    while (workers.length + added.length < count) added.push(this.declareWorker(template).id);
    const busy = (id: string) => {
      const s = observer.stream(id)?.state;
      return s?.connected && s.sample ? s.sample.cpuPercent : -1;
    };
    const removed = workers
      .sort((a, b) => busy(a.id) - busy(b.id) || b.id.localeCompare(a.id))
      .slice(0, Math.max(0, workers.length - count))
      .map((w) => w.id);
    tracks.declared = tracks.declared.filter((d) => !removed.includes(d.id));
    await Promise.all(removed.map((id) => this.retire(id)));
    if (added.length) this.scope.wake();
    return { added, removed };
  }

  /**
   * Replaces a worker whose host cannot be reached by a new worker (a new id, started on another
   * host on the next pass): its own id is undeclared and never used again, and the placement
   * kills and forgets its process once the host answers, so two live processes never share an id.
   */
  async replaceUnreachable(t: Track, reason: string, leasesReleased: number): Promise<void> {
    const { journal, placement } = this.scope;
    const template = t.declared;
    if (!template) return;
    await journal.decide(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_REMOVED, t.id, `${reason}; replaced by a new worker`, () => {
      const replacement = this.declareWorker(template);
      this.scope.tracks.declared = this.scope.tracks.declared.filter((d) => d.id !== t.id);
      placement.abandon(t.id);
      t.declared = undefined;
      t.replacedBy = replacement.id;
      t.detail = `its host cannot be reached; replaced by ${replacement.id} (killed and forgotten once its host answers)`;
      this.scope.wake();
      return Promise.resolve({ replacedBy: replacement.id, leasesReleased });
    });
  }

  /** Declares a new worker of `template` under the lowest id never used. */
  private declareWorker(template: DeclaredNode): DeclaredNode {
    const { observer, tracks } = this.scope;
    const base = template.id.replace(/-\d+$/, '');
    for (let n = 1; ; n++) {
      const id = `${base}-${n}`;
      const used = tracks.declared.some((d) => d.id === id) || tracks.retiring.has(id) || observer.members.has(id) || tracks.find(id)?.replacedBy;
      if (used) continue;
      const d: DeclaredNode = { ...template, id };
      tracks.declared.push(d);
      tracks.track(id).declared = d;
      return d;
    }
  }

  /** Drains and stops a worker no longer declared, and forgets it. */
  private async retire(id: string): Promise<void> {
    const { placement, tracks, config } = this.scope;
    tracks.retiring.add(id);
    const t = tracks.track(id);
    t.declared = undefined;
    t.phase = NodePhase.NODE_PHASE_DRAINED;
    t.detail = 'scaled down: draining';
    try {
      await placement.stop(id, drainGrace(config));
      await placement.forget(id);
      tracks.forget(id);
    } finally {
      tracks.retiring.delete(id);
    }
  }
}
