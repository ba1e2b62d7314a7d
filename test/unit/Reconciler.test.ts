import assert from 'node:assert/strict';
import pino from 'pino';
import type { Member } from '../../gen/shoal/v1/discovery';
import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import { StreamStatusResponse } from '../../gen/shoal/v1/health';
import { ClusterEventKind, NodePhase } from '../../gen/shoal/v1/scale';
import { type PrimaryChange, PrimaryChangeError } from '../../common/cluster/changePrimary';
import { parseClusterConfig } from '../../common/config/clusterConfig';
import { DomainError } from '../../common/errors/DomainError';
import { EventJournal } from '../../control-plane/events/EventJournal';
import type { StreamState } from '../../control-plane/observe/NodeStream';
import type { NodeKnowledge, PlacedNode, Placement, StartedNodeProcess } from '../../control-plane/placement/Placement';
import type { DeclaredNode } from '../../control-plane/reconcile/declaredNodes';
import type { PrimaryChanges } from '../../control-plane/reconcile/PrimaryGuard';
import { Reconciler } from '../../control-plane/reconcile/Reconciler';
import type { ObservedCluster } from '../../control-plane/reconcile/ReconcileScope';

// The reconcile loop's decisions, on fakes of what it observes and the processes it runs.
// (The real thing, with Consul and processes, is test/e2e/selfHealing.test.ts.)

type FakeRecord = PlacedNode & { alive: boolean; exit?: () => void };

/** Processes as a placement would keep them; `crash` makes one exit, `cutOff` makes its host unreachable. */
class FakePlacement implements Placement {
  readonly records = new Map<string, FakeRecord>();
  readonly started: string[] = [];
  readonly abandoned: string[] = [];
  /** Hosts that cannot be reached, since when. */
  readonly unreachable = new Map<string, number>();
  private nextPid = 1000;
  private nextHost = 1;

  knowledge(id: string): NodeKnowledge {
    const r = this.records.get(id);
    if (r && this.unreachable.has(r.host)) return { state: 'unknown', record: r, since: this.unreachable.get(r.host)!, reason: `${r.host} cannot be reached` };
    return r?.alive ? { state: 'running', record: r } : { state: 'stopped', record: r };
  }
  running(id: string): PlacedNode | undefined {
    const k = this.knowledge(id);
    return k.state === 'running' ? k.record : undefined;
  }
  forget(id: string): Promise<void> {
    this.records.delete(id);
    return Promise.resolve();
  }
  abandon(id: string): void {
    this.abandoned.push(id);
    this.records.delete(id);
  }
  setDrained(id: string, drained: boolean): Promise<void> {
    const r = this.records.get(id);
    if (r) r.drained = drained;
    return Promise.resolve();
  }
  start(node: DeclaredNode, restarts: number): Promise<StartedNodeProcess> {
    if (this.knowledge(node.id).state !== 'stopped') throw new Error(`${node.id} may run already`);
    this.started.push(node.id);
    let exit!: () => void;
    const exited = new Promise<void>((resolve) => (exit = resolve));
    const host = `h${this.nextHost++}`;
    const record = { id: node.id, host, pid: this.nextPid++, grpcPort: 0, httpPort: 0, grpcAddress: '', log: '', restarts, alive: true, exit };
    this.records.set(node.id, record);
    return Promise.resolve({ ...record, exited });
  }
  /** The node's host stops answering (its process may still run). */
  cutOff(id: string, sinceMs = Date.now()): void {
    this.unreachable.set(this.records.get(id)!.host, sinceMs);
  }
  stop(id: string): Promise<void> {
    this.crash(id);
    return Promise.resolve();
  }
  crash(id: string): void {
    const r = this.records.get(id);
    if (r) r.alive = false;
    r?.exit?.();
  }
}

/** What Consul and the status streams show; every node passing and streaming unless told. */
class FakeObserver implements ObservedCluster {
  blind = false;
  readonly members = new Map<string, Member>();
  leader = { term: 1, primaryId: 'primary', primaryAddress: '127.0.0.1:1', changedAtMs: 0, reason: 'bootstrap' };
  private readonly streams = new Map<string, { state: StreamState }>();

  stream(id: string) {
    return this.streams.get(id);
  }
  watchNode(): void {}
  /** The node is registered and passing, and streams samples. */
  healthy(id: string, role = NodeRole.NODE_ROLE_WORKER): void {
    this.members.set(id, {
      id,
      role,
      grpcAddress: `127.0.0.1:${id.length}`,
      httpAddress: '',
      health: MemberHealth.MEMBER_HEALTH_PASSING,
      version: '',
      consulNode: '',
      checks: [],
    });
    this.streams.set(id, { state: { connected: true, lastSampleAt: Date.now(), brokeAt: 0, sample: undefined } });
  }
  /** The node streams samples with these fields (a replica's silence of the primary, say), the last `ageMs` ago. */
  sampled(id: string, fields: Partial<StreamStatusResponse>, ageMs = 0): void {
    this.streams.set(id, {
      state: { connected: ageMs === 0, lastSampleAt: Date.now() - ageMs, brokeAt: 0, sample: StreamStatusResponse.fromPartial(fields) },
    });
  }
  /** The node's check is critical and its stream broke. */
  gone(id: string): void {
    const m = this.members.get(id);
    if (m) m.health = MemberHealth.MEMBER_HEALTH_CRITICAL;
    this.streams.set(id, { state: { connected: false, lastSampleAt: Date.now() - 10_000, brokeAt: Date.now(), sample: undefined } });
  }
}

function setUp(opts: { leader?: boolean; nodes?: unknown[] } = {}) {
  const config = parseClusterConfig({
    nodes: opts.nodes ?? [{ id: 'worker', type: 'worker', count: 2, config: { port: 0 } }],
    controlPlane: { restartBackoffInitial: 0, restartBackoffMax: 0, port: 0 },
  });
  const placement = new FakePlacement();
  const observer = new FakeObserver();
  const logger = pino({ level: 'silent' });
  const decisions: ClusterEventKind[] = [];
  const journal = new EventJournal('cp-test', logger, { append: () => undefined });
  journal.subscribe((e) => e.decision && decisions.push(e.kind));
  const leading = { now: opts.leader ?? true };
  const released: string[] = [];
  const failovers: string[] = [];
  const observed: { kind: ClusterEventKind; nodeId: string; reason: string }[] = [];
  journal.subscribe((e) => observed.push({ kind: e.kind, nodeId: e.nodeId, reason: e.reason }));
  // A failover promotes replica-1; a switchover is never asked for here (one that was would fail, naming it).
  const primaries: PrimaryChanges = {
    currentPrimary: () => Promise.resolve(observer.leader.primaryId),
    failover: (o) => {
      failovers.push(o.expectPrimary);
      const change: PrimaryChange = { from: o.expectPrimary, to: 'replica-1', term: 2, startPosition: 0, steps: [] };
      observer.leader = { ...observer.leader, term: 2, primaryId: 'replica-1' };
      return Promise.resolve(change);
    },
    switchover: () => Promise.reject(new PrimaryChangeError('no switchover in these tests')),
  };
  const reconciler = new Reconciler({
    config,
    registry: { deregisterService: () => Promise.resolve() },
    primaries,
    observer,
    placement,
    journal,
    isLeader: () => leading.now,
    leaderId: () => (leading.now ? 'cp-test' : 'cp-other'),
    releaseLeases: (workerId) => {
      released.push(workerId);
      return Promise.resolve(1);
    },
    logger,
  });
  return { reconciler, placement, observer, decisions, leading, journal, released, failovers, observed };
}

const phaseOf = (r: Reconciler, id: string) => r.topology().find((n) => n.id === id)?.phase;

/** A primary, two replicas and two workers, all started, passing and streaming. */
async function stateCluster() {
  const setup = setUp({
    nodes: [
      { id: 'primary', type: 'primary', config: { port: 0 } },
      { id: 'replica', type: 'replica', count: 2, config: { port: 0 } },
      { id: 'worker', type: 'worker', count: 2, config: { port: 0 } },
    ],
  });
  await setup.reconciler.wake();
  setup.observer.healthy('primary', NodeRole.NODE_ROLE_PRIMARY);
  for (const id of ['replica-1', 'replica-2']) setup.observer.healthy(id, NodeRole.NODE_ROLE_REPLICA);
  for (const id of ['worker-1', 'worker-2']) setup.observer.healthy(id);
  await setup.reconciler.wake();
  setup.placement.started.length = 0;
  return setup;
}

describe('Reconciler', function () {
  it('starts the declared nodes, once', async function () {
    const { reconciler, placement, observer } = setUp();
    await reconciler.wake();
    assert.deepEqual(placement.started, ['worker-1', 'worker-2']);
    observer.healthy('worker-1');
    observer.healthy('worker-2');
    await reconciler.wake();
    assert.deepEqual(placement.started, ['worker-1', 'worker-2']);
    assert.equal(phaseOf(reconciler, 'worker-1'), NodePhase.NODE_PHASE_RUNNING);
  });

  it('restarts a node whose process exited, counts the restart, and hands its leases back first', async function () {
    const { reconciler, placement, observer, decisions, released } = setUp();
    await reconciler.wake();
    observer.healthy('worker-1');
    observer.healthy('worker-2');
    await reconciler.wake();
    placement.crash('worker-1');
    observer.gone('worker-1');
    await reconciler.wake();
    assert.deepEqual(placement.started, ['worker-1', 'worker-2', 'worker-1']);
    assert.equal(reconciler.topology().find((n) => n.id === 'worker-1')?.restarts, 1);
    assert.ok(decisions.includes(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RESTARTED));
    assert.deepEqual(released, ['worker-1']);
  });

  it('decides nothing while blind, and nothing as a standby', async function () {
    const blind = setUp();
    blind.observer.blind = true;
    await blind.reconciler.wake();
    assert.deepEqual(blind.placement.started, []);

    const standby = setUp({ leader: false });
    await standby.reconciler.wake();
    assert.deepEqual(standby.placement.started, []);
    await assert.rejects(
      standby.reconciler.restart('worker-1'),
      (err: DomainError) => err instanceof DomainError && err.kind === 'unavailable' && /does not act now/.test(err.message),
    );
  });

  it('refuses to act on a node it does not know, or one started by hand, saying which', async function () {
    const { reconciler, observer } = setUp();
    await assert.rejects(
      reconciler.drain('worker-9'),
      (err: DomainError) => err instanceof DomainError && err.kind === 'not-found' && /no node "worker-9"/.test(err.message),
    );
    observer.healthy('worker-hand');
    await reconciler.wake();
    await assert.rejects(
      reconciler.restart('worker-hand'),
      (err: DomainError) => err instanceof DomainError && err.kind === 'precondition' && /outside the control plane/.test(err.message),
    );
  });

  it('gives a re-adopted process its start grace instead of replacing it at once', async function () {
    const { reconciler, placement, journal } = setUp();
    // Another control plane started worker-1; it runs, but Consul does not list it yet.
    placement.records.set('worker-1', { id: 'worker-1', host: '', pid: 42, grpcPort: 0, httpPort: 0, grpcAddress: '', log: '', restarts: 3, alive: true });
    const observed: ClusterEventKind[] = [];
    journal.subscribe((e) => observed.push(e.kind));
    await reconciler.wake();
    assert.equal(placement.running('worker-1')?.pid, 42, 'not killed');
    assert.equal(phaseOf(reconciler, 'worker-1'), NodePhase.NODE_PHASE_STARTING);
    assert.equal(reconciler.topology().find((n) => n.id === 'worker-1')?.restarts, 3, 'restarts carried over from the record');
    assert.ok(observed.includes(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_ADOPTED));
    assert.deepEqual(placement.started, ['worker-2']);
  });

  it('restarts a recorded node that died while no control plane led', async function () {
    const { reconciler, placement, observer } = setUp();
    placement.records.set('worker-1', { id: 'worker-1', host: '', pid: 42, grpcPort: 0, httpPort: 0, grpcAddress: '', log: '', restarts: 0, alive: false });
    observer.healthy('worker-1');
    observer.gone('worker-1');
    await reconciler.wake();
    assert.ok(placement.started.includes('worker-1'), 'its critical registration does not make it look started by hand');
  });

  it('never starts or restarts a node started by hand', async function () {
    const { reconciler, placement, observer, decisions } = setUp();
    observer.healthy('worker-1');
    await reconciler.wake();
    assert.deepEqual(placement.started, ['worker-2']);
    observer.gone('worker-1');
    await reconciler.wake();
    assert.deepEqual(placement.started, ['worker-2']);
    assert.equal(reconciler.topology().find((n) => n.id === 'worker-1')?.managed, false);
    assert.deepEqual(decisions, [ClusterEventKind.CLUSTER_EVENT_KIND_NODE_STARTED]);
  });

  it('keeps a drained node stopped until it is restarted on request', async function () {
    const { reconciler, placement, observer } = setUp();
    await reconciler.wake();
    observer.healthy('worker-1');
    observer.healthy('worker-2');
    await reconciler.wake();
    await reconciler.drain('worker-1');
    observer.members.delete('worker-1');
    await reconciler.wake();
    assert.equal(placement.running('worker-1'), undefined);
    assert.equal(placement.records.get('worker-1')?.drained, true);
    assert.equal(phaseOf(reconciler, 'worker-1'), NodePhase.NODE_PHASE_DRAINED);
    await reconciler.restart('worker-1');
    assert.ok(placement.running('worker-1'));
  });

  describe('with a node on a host it cannot reach', function () {
    it('never starts a node whose knowledge is unknown, even once Consul drops it; says so once, and when it answers again', async function () {
      const { reconciler, placement, observer, observed } = await stateCluster();
      placement.cutOff('worker-1');
      // Consul's autopilot drops a dead server's node and its services.
      observer.members.delete('worker-1');
      observer.gone('worker-1');
      await reconciler.wake();
      await reconciler.wake();
      assert.deepEqual(placement.started, []);
      assert.equal(phaseOf(reconciler, 'worker-1'), NodePhase.NODE_PHASE_UNREACHABLE);
      assert.equal(reconciler.topology().find((n) => n.id === 'worker-1')?.host, 'h4');
      assert.equal(observed.filter((e) => e.kind === ClusterEventKind.CLUSTER_EVENT_KIND_NODE_UNREACHABLE).length, 1);
      placement.unreachable.clear();
      await reconciler.wake();
      assert.ok(observed.some((e) => e.kind === ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RECOVERED && /h4 answers again: its process runs/.test(e.reason)));
      assert.deepEqual(placement.started, []);
    });

    it('replaces an unreachable worker under a new id after replaceUnreachableAfter, never reusing its id', async function () {
      const { reconciler, placement, decisions, released } = await stateCluster();
      placement.cutOff('worker-1');
      await reconciler.wake();
      assert.deepEqual(placement.started, [], 'not before the delay');
      placement.cutOff('worker-1', Date.now() - 5000);
      await reconciler.wake();
      await reconciler.wake();
      assert.deepEqual(placement.abandoned, ['worker-1']);
      assert.deepEqual(placement.started, ['worker-3']);
      assert.deepEqual(released, ['worker-1']);
      assert.ok(decisions.includes(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_REMOVED));
      assert.equal(reconciler.workerCount, 2);
      // A scale-up later takes a fresh id too: worker-1 may still run on its lost host.
      await reconciler.setWorkerCount(3);
      await reconciler.wake();
      assert.deepEqual(placement.started, ['worker-3', 'worker-4']);
    });

    it('leaves a replica alone until its host answers or an operator forgets it', async function () {
      const { reconciler, placement, observer, decisions } = await stateCluster();
      placement.cutOff('replica-1', Date.now() - 60_000);
      observer.members.delete('replica-1');
      await reconciler.wake();
      assert.deepEqual([placement.started, placement.abandoned], [[], []]);
      await assert.rejects(reconciler.forget('replica-2'), (err: DomainError) => err.kind === 'precondition' && /runs on h3/.test(err.message));
      await reconciler.forget('replica-1');
      await reconciler.wake();
      assert.deepEqual(placement.abandoned, ['replica-1']);
      assert.deepEqual(placement.started, ['replica-1']);
      assert.ok(decisions.includes(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_FORGOTTEN));
    });

    it('fails over a primary it cannot reach only when a majority of the replicas have lost it too', async function () {
      const { reconciler, placement, observer, failovers } = await stateCluster();
      placement.cutOff('primary');
      observer.sampled('primary', { term: 1 }, 5000);
      // replica-1 still hears the primary; replica-2 does not: no majority of two.
      observer.sampled('replica-1', { primarySilenceMs: 100 });
      observer.sampled('replica-2', { primarySilenceMs: 3000 });
      await reconciler.wake();
      assert.deepEqual(failovers, [], 'silent to the control plane only: it keeps its role');
      assert.equal(phaseOf(reconciler, 'primary'), NodePhase.NODE_PHASE_UNREACHABLE);
      observer.sampled('replica-1', { primarySilenceMs: 3000 });
      await reconciler.wake();
      assert.deepEqual(failovers, ['primary']);
      assert.deepEqual(placement.started, [], 'the old primary is not started anywhere while its host is unreachable');
    });
  });
});
