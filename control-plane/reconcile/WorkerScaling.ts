import { NodePhase } from '../../gen/shoal/v1/scale';
import { DomainError } from '../../common/errors/DomainError';
import { type DeclaredNode, declaredNodes } from './declaredNodes';
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
    const base = template.id.replace(/-\d+$/, '');
    for (let n = 1; workers.length + added.length < count; n++) {
      const id = `${base}-${n}`;
      if (workers.some((w) => w.id === id) || tracks.retiring.has(id) || observer.members.has(id)) continue;
      const d: DeclaredNode = { ...template, id };
      tracks.declared.push(d);
      tracks.track(id).declared = d;
      added.push(id);
    }
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
      placement.forget(id);
      tracks.forget(id);
    } finally {
      tracks.retiring.delete(id);
    }
  }
}
