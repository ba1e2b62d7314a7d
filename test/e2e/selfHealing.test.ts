import assert from 'node:assert/strict';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import { ClusterEventKind, type DrainResponse, NodePhase, type RestartResponse, type WatchClusterResponse } from '../../gen/shoal/v1/scale';
import { serviceNameOf } from '../../common/consul/ConsulApi';
import { StateClient } from '../../common/client/StateClient';
import { unaryCall } from '../../common/client/grpcCall';
import { SyncClient } from '../../gen/shoal/v1/sync';
import { isRunning } from '../../common/local/processRecord';
import { waitFor } from '../../common/time/waitFor';
import { detailsOf } from '../../control-plane/events/EventJournal';
import { ControlPlaneCluster } from '../support/controlPlaneCluster';
import { NodeProcess } from '../support/nodeProcess';
import { OtlpReceiver } from '../support/otlpReceiver';
import { runCli } from '../support/runCli';

const TOKEN = 'e2e-secret';

describe('the control plane keeps a cluster at its declared shape (seed scenarios 2 and 3)', function () {
  this.timeout(90_000);
  let cluster: ControlPlaneCluster;
  let state: StateClient;
  let receiver: OtlpReceiver;

  before(async function () {
    receiver = await OtlpReceiver.start();
    cluster = await ControlPlaneCluster.start({ cluster: 'heal', controlPlane: { token: TOKEN }, env: receiver.env });
    await cluster.ready();
    state = new StateClient({ consul: cluster.consul.api, cluster: 'heal', deadlineMs: 10_000 });
  });

  after(async function () {
    state?.close();
    await cluster?.stop();
    await receiver?.close();
  });

  it('starts the five declared nodes and reports each as managed and running', async function () {
    const topology = await waitFor(
      'every node running',
      async () => {
        const t = await cluster.topology();
        return t.nodes.length === 5 && t.nodes.every((n) => n.phase === NodePhase.NODE_PHASE_RUNNING) && t;
      },
      { timeoutMs: 10_000 },
    );
    assert.deepEqual(
      topology.nodes.map((n) => n.id),
      ['primary', 'replica-1', 'replica-2', 'worker-1', 'worker-2'],
    );
    assert.ok(topology.nodes.every((n) => n.managed && n.pid > 0 && n.streamConnected && n.health === MemberHealth.MEMBER_HEALTH_PASSING));
    assert.equal(topology.primaryId, 'primary');
    assert.equal(topology.controlPlane?.leader, true);
    const started = (await cluster.decisions()).filter((e) => e.kind === ClusterEventKind.CLUSTER_EVENT_KIND_NODE_STARTED);
    assert.deepEqual(started.map((e) => e.nodeId).sort(), ['primary', 'replica-1', 'replica-2', 'worker-1', 'worker-2']);
  });

  it('scenario 2: restarts a worker killed -9, which is healthy again, and the event stream says why', async function () {
    const watch = await cluster.watchEvents();
    try {
      const before = (await cluster.node('worker-1'))!;
      const since = Date.now();
      const killed = cluster.killNode('worker-1');
      const restarted = await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RESTARTED, 'worker-1', since);
      assert.match(restarted.reason, /its process exited/);
      assert.notEqual(Number(detailsOf(restarted).pid), killed);
      assert.ok(restarted.traceId, 'the decision carries its trace id');
      const after = await waitFor(
        'worker-1 running again',
        async () => {
          const n = await cluster.node('worker-1');
          return n?.phase === NodePhase.NODE_PHASE_RUNNING && n.health === MemberHealth.MEMBER_HEALTH_PASSING && n.pid !== killed && n;
        },
        { timeoutMs: 20_000 },
      );
      assert.equal(after.restarts, before.restarts + 1);
      await cluster.consul.waitForPassing(serviceNameOf('heal'), 5);
      const seen = watch.events.filter((e) => e.nodeId === 'worker-1').map((e) => ClusterEventKind[e.kind]);
      for (const kind of ['CLUSTER_EVENT_KIND_NODE_DOWN', 'CLUSTER_EVENT_KIND_NODE_RESTARTED', 'CLUSTER_EVENT_KIND_NODE_RECOVERED']) {
        assert.ok(seen.includes(kind), `WatchEvents showed ${kind} (saw ${seen.join(', ')})`);
      }
    } finally {
      watch.close();
    }
  });

  it('scenario 3 (failover): fails over a primary killed -9 under acknowledged writes; writes resume, none is lost, the old primary rejoins as a replica', async function () {
    const old = await cluster.primary();
    const acked = new Map<string, { value: string; at: number }>();
    let stop = false;
    let failures = 0;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const key = `s3/${String(i).padStart(6, '0')}`;
        try {
          await state.put(key, Buffer.from(`v${i}`), { deadlineMs: 8000 });
          acked.set(key, { value: `v${i}`, at: Date.now() });
        } catch {
          failures += 1;
          // A pause, so a failure that comes at once cannot starve the event loop.
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    })();
    try {
      await waitFor('50 acknowledged writes', () => acked.size >= 50, { timeoutMs: 20_000 });
      const since = Date.now();
      cluster.killNode(old.primaryId);
      const failedOver = await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_FAILED_OVER, old.primaryId, since);
      const promoted = detailsOf(failedOver).to;
      assert.notEqual(promoted, old.primaryId);
      assert.equal(Number(detailsOf(failedOver).term), old.term + 1);
      await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_PROMOTED, promoted, since);
      await waitFor('writes acknowledged after the failover', () => [...acked.values()].filter((a) => a.at > since).length >= 20, { timeoutMs: 20_000 });
    } finally {
      stop = true;
      await writer;
    }
    const now = await cluster.primary();
    assert.notEqual(now.primaryId, old.primaryId);
    // Every acknowledged write is on the new primary, with its value.
    for (const [key, { value }] of acked) {
      const got = await state.get(key);
      assert.ok(got.found, `${key} was acknowledged and must survive the failover`);
      assert.equal(Buffer.from(got.value).toString(), value);
    }
    const rejoined = await waitFor(
      `${old.primaryId} back as a replica`,
      async () => {
        const n = await cluster.node(old.primaryId);
        return n?.observedRole === NodeRole.NODE_ROLE_REPLICA && n.phase === NodePhase.NODE_PHASE_RUNNING && n.term === now.term && n;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(rejoined.managed, true);
    assert.ok(acked.size > 70, `${acked.size} writes acknowledged, ${failures} failed`);

    // The failover is one trace: the decision, linked to the observation of the primary going,
    // with the failover, the new primary's promotion and its first accepted write inside it.
    const failedOver = (await cluster.decisions()).find((e) => e.kind === ClusterEventKind.CLUSTER_EVENT_KIND_FAILED_OVER && e.nodeId === old.primaryId)!;
    const decision = await waitFor(
      'the failover decision span',
      () => receiver.spans.find((s) => s.traceId === failedOver.traceId && s.name === 'decide failed_over'),
      { timeoutMs: 15_000 },
    );
    const linked = (decision.links ?? []).map((l) => receiver.spans.find((s) => s.spanId === l.spanId)?.name);
    assert.ok(linked.includes('observe node_down'), `the decision links the observation (links: ${linked.join(', ')})`);
    const inTrace = await waitFor(
      'the promotion and the first write on the new primary, in the same trace',
      () => {
        const names = receiver.spans.filter((s) => s.traceId === failedOver.traceId).map((s) => `${s.service} ${s.name}`);
        return names.includes('shoal-node sync.promote') && names.includes('shoal-node state.first_write') && names;
      },
      {
        timeoutMs: 15_000,
        describe: () => JSON.stringify(receiver.spans.filter((s) => s.traceId === failedOver.traceId).map((s) => `${s.service} ${s.name}`)),
      },
    );
    for (const name of ['shoal-control-plane cluster.failover', 'shoal-control-plane decide promoted'])
      assert.ok(inTrace.includes(name), `${name} in the trace`);
    // While spans are exported, a replica's batch links to the writes it applied.
    const linkedNames = () =>
      new Set(
        receiver.spans
          .filter((s) => s.name === 'sync.apply_batch')
          .flatMap((s) => (s.links ?? []).map((l) => receiver.spans.find((w) => w.spanId === l.spanId)?.name)),
      );
    await waitFor('a replica batch span linked to a write it applied', () => linkedNames().has('state.write'), {
      timeoutMs: 15_000,
      describe: () => JSON.stringify([...linkedNames()]),
    });
  });

  it('loses nothing when the primary and a replica die together, and takes writes again once enough of them are back', async function () {
    const old = await cluster.primary();
    const written = await state.put('together/before', Buffer.from('kept'));
    const replica = (await cluster.topology()).nodes.find((n) => n.observedRole === NodeRole.NODE_ROLE_REPLICA)!.id;
    const since = Date.now();
    cluster.killNode(old.primaryId);
    cluster.killNode(replica);
    // Either the failover waits until enough replicas answer, or the old primary comes back
    // first and keeps its term; both must end with a cluster that takes writes.
    const after = await state.put('together/after', Buffer.from('taken'), { deadlineMs: 30_000 });
    assert.ok(after.position > written.position);
    const got = await state.get('together/before');
    assert.equal(Buffer.from(got.value).toString(), 'kept');
    await waitFor(
      'all five running again, the state nodes in one term',
      async () => {
        const t = await cluster.topology();
        return t.nodes.every((n) => n.phase === NodePhase.NODE_PHASE_RUNNING && (n.observedRole === NodeRole.NODE_ROLE_WORKER || n.term === t.term));
      },
      { timeoutMs: 30_000 },
    );
    const decided = (await cluster.decisions()).filter((e) => e.atUnixMs >= since).map((e) => `${ClusterEventKind[e.kind]} ${e.nodeId}`);
    assert.ok(decided.includes(`CLUSTER_EVENT_KIND_NODE_RESTARTED ${replica}`), decided.join(', '));
  });

  it('re-establishes a primary when the replicas were fenced by a failover that did not finish', async function () {
    const old = await cluster.primary();
    const before = await state.put('fenced/before', Buffer.from('kept'));
    // What a failover that died after fencing leaves behind: every replica in the next term,
    // refusing the primary of the record's term; writes stall.
    const replicas = (await cluster.topology()).nodes.filter((n) => n.observedRole === NodeRole.NODE_ROLE_REPLICA);
    assert.equal(replicas.length, 2);
    for (const r of replicas) {
      const client = new SyncClient(r.grpcAddress, credentials.createInsecure());
      try {
        await unaryCall((m, o, cb) => client.getPosition({ term: old.term + 1 }, m, o, cb), Date.now() + 5000);
      } finally {
        client.close();
      }
    }
    const since = Date.now();
    const after = await state.put('fenced/after', Buffer.from('taken'), { deadlineMs: 30_000 });
    assert.ok(after.term >= old.term + 1, `written in term ${after.term}, after term ${old.term}`);
    const decision = await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_FAILED_OVER, old.primaryId, since);
    assert.match(decision.reason, /did not finish/);
    assert.equal(Buffer.from((await state.get('fenced/before')).value).toString(), 'kept');
    assert.ok(after.position > before.position);
  });

  it('serves Drain and Restart only with the bearer token, and says what is wrong otherwise', async function () {
    const scale = await cluster.scale();
    try {
      const call = <T>(method: 'drain' | 'restart', nodeId: string, token?: string) =>
        new Promise<T>((resolve, reject) =>
          scale[method](
            { nodeId },
            token ? ControlPlaneCluster.bearer(token) : new Metadata(),
            { deadline: Date.now() + 30_000 },
            (err: ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res as T)),
          ),
        );
      await assert.rejects(call('restart', 'worker-2'), (err: ServiceError) => err.code === status.UNAUTHENTICATED && /Bearer/.test(err.details));
      await assert.rejects(call('restart', 'worker-2', 'wrong'), (err: ServiceError) => err.code === status.UNAUTHENTICATED);
      await assert.rejects(call('drain', 'no-such-node', TOKEN), (err: ServiceError) => err.code === status.NOT_FOUND && /no-such-node/.test(err.details));
      await assert.rejects(call('drain', '', TOKEN), (err: ServiceError) => err.code === status.INVALID_ARGUMENT);

      const drainedPid = cluster.record('worker-2')!.pid;
      const drained = await call<DrainResponse>('drain', 'worker-2', TOKEN);
      assert.match(drained.steps.join('\n'), /worker-2 drained and stopped/);
      assert.equal(isRunning({ pid: drainedPid, startTime: cluster.record('worker-2')!.startTime }), false);
      const node = (await cluster.node('worker-2'))!;
      assert.equal(node.phase, NodePhase.NODE_PHASE_DRAINED);
      await waitFor(
        'worker-2 to leave Consul (it deregistered itself)',
        async () => !(await cluster.consul.api.healthService(serviceNameOf('heal'))).value.some((e) => e.Service.ID === 'worker-2'),
        { timeoutMs: 10_000 },
      );

      const restarted = await call<RestartResponse>('restart', 'worker-2', TOKEN);
      assert.match(restarted.steps.join('\n'), /worker-2 started again/);
      await cluster.consul.waitForPassing(serviceNameOf('heal'), 5, 20_000);
    } finally {
      scale.close();
    }
  });

  it('adopts a node started by hand as unmanaged: shown as such, never restarted', async function () {
    const hand = NodeProcess.spawn({ role: 'worker', id: 'worker-hand', consulAddress: cluster.consul.address, cluster: 'heal' });
    await hand.serving();
    const adopted = await waitFor(
      'worker-hand in the topology',
      async () => {
        const n = await cluster.node('worker-hand');
        return n?.phase === NodePhase.NODE_PHASE_RUNNING && n;
      },
      { timeoutMs: 15_000 },
    );
    assert.equal(adopted.managed, false);
    assert.equal(adopted.declaredRole, NodeRole.NODE_ROLE_UNSPECIFIED);
    assert.match(adopted.detail, /outside the control plane/);
    const status = await runCli(['status', '--cluster', 'heal'], { CONSUL_HTTP_ADDR: cluster.consul.address });
    assert.match(status.stdout, /^worker-hand\s+worker\s.*no \(by hand\)/m);

    const since = Date.now();
    await hand.kill();
    await waitFor(
      'worker-hand critical in Consul and suspected',
      async () => {
        const n = await cluster.node('worker-hand');
        return n?.health === MemberHealth.MEMBER_HEALTH_CRITICAL && n.phase === NodePhase.NODE_PHASE_SUSPECTED;
      },
      { timeoutMs: 15_000 },
    );
    const about = (await cluster.decisions()).filter((e) => e.nodeId === 'worker-hand' && e.atUnixMs >= since);
    assert.deepEqual(about, [], 'no decision about a node the control plane does not manage');
    assert.equal(cluster.record('worker-hand'), undefined, 'the placement started nothing in its place');
    await cluster.consul.api.deregisterService('worker-hand');
  });

  it('makes no decision while Consul is away, says it is blind, and finds the cluster as before when it returns', async function () {
    const before = await cluster.topology();
    const pids = before.nodes
      .filter((n) => n.managed)
      .map((n) => `${n.id}:${n.pid}`)
      .sort();
    const watch = await cluster.watchEvents();
    const consul = cluster.consul;
    const scale = await cluster.scale();
    // What a dashboard sees: the picture must keep coming while Consul is away.
    const pictures: WatchClusterResponse[] = [];
    const picture = scale.watchCluster({ periodMs: 200 });
    picture.on('data', (m: WatchClusterResponse) => pictures.push(m));
    picture.on('error', () => undefined);
    try {
      const since = Date.now();
      consul.process.kill('SIGSTOP');
      try {
        await waitFor('the control plane to say it is blind', async () => (await cluster.topology(scale)).controlPlane?.blind, { timeoutMs: 10_000 });
        // Consul stays away for longer than a node may go silent before it is suspected.
        const outage = 4000;
        await new Promise((r) => setTimeout(r, outage - (Date.now() - since)));
      } finally {
        consul.process.kill('SIGCONT');
      }
      const sighted = await waitFor(
        'the control plane to see again',
        async () => {
          const t = await cluster.topology(scale);
          return !t.controlPlane?.blind && t;
        },
        { timeoutMs: 15_000 },
      );
      await consul.waitForPassing(serviceNameOf('heal'), 5, 15_000);
      await waitFor(
        'fresh samples from every node',
        async () => {
          const t = await cluster.topology(scale);
          return t.nodes.filter((n) => n.managed).every((n) => n.phase === NodePhase.NODE_PHASE_RUNNING && n.lastSampleUnixMs > Date.now() - 2000);
        },
        { timeoutMs: 10_000 },
      );
      assert.deepEqual(
        sighted.nodes
          .filter((n) => n.managed)
          .map((n) => `${n.id}:${n.pid}`)
          .sort(),
        pids,
        'no node was restarted',
      );
      assert.equal(sighted.term, before.term, 'no failover');
      const decided = (await cluster.decisions()).filter((e) => e.atUnixMs >= since && e.kind !== ClusterEventKind.CLUSTER_EVENT_KIND_LEADER_CHANGED);
      assert.deepEqual(
        decided.map((e) => `${ClusterEventKind[e.kind]} ${e.nodeId}`),
        [],
      );
      const kinds = watch.events.map((e) => e.kind);
      assert.ok(
        kinds.includes(ClusterEventKind.CLUSTER_EVENT_KIND_CONSUL_BLIND) && kinds.includes(ClusterEventKind.CLUSTER_EVENT_KIND_CONSUL_SIGHTED),
        'blind and sighted were reported',
      );
      const blind = pictures.filter((m) => m.topology?.controlPlane?.blind);
      assert.ok(blind.length >= 5, `WatchCluster kept sending while blind (${blind.length} pictures said blind)`);
    } finally {
      picture.cancel();
      scale.close();
      watch.close();
    }
  });

  it('hands over to the standby when the leader is killed -9, and the standby heals a node killed right after', async function () {
    const leader = (await cluster.leader())!;
    // The standby watches all along and reports what the leader does.
    const standby = await cluster.standby();
    try {
      const seen = await cluster.topology(standby);
      assert.equal(seen.controlPlane?.leader, false);
      assert.equal(seen.controlPlane?.leaderId, leader.id);
      assert.deepEqual(
        seen.nodes.filter((n) => n.managed).map((n) => n.id),
        ['primary', 'replica-1', 'replica-2', 'worker-1', 'worker-2'],
      );
      const restart = new Promise<ServiceError | null>((resolve) =>
        standby.restart({ nodeId: 'worker-1' }, ControlPlaneCluster.bearer(TOKEN), { deadline: Date.now() + 5000 }, (err) => resolve(err)),
      );
      const refused = await restart;
      assert.equal(refused?.code, status.UNAVAILABLE);
      assert.match(refused.details, new RegExp(`is a standby; the leader is ${leader.id} at ${leader.grpcAddress}`));
      assert.deepEqual(refused.metadata.get('shoal-control-plane-leader'), [leader.grpcAddress]);
    } finally {
      standby.close();
    }
    const since = Date.now();
    cluster.planes.get(leader.id)!.kill('SIGKILL');
    const next = await waitFor(
      'another control plane to lead',
      async () => {
        const l = await cluster.leader();
        return l && l.id !== leader.id && l;
      },
      { timeoutMs: 10_000 },
    );
    const killed = cluster.killNode('worker-1');
    const restarted = await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RESTARTED, 'worker-1', since);
    assert.equal(restarted.controlPlaneId, next.id);
    await waitFor(
      'worker-1 running again',
      async () => {
        const n = await cluster.node('worker-1');
        return n?.phase === NodePhase.NODE_PHASE_RUNNING && n.pid !== killed;
      },
      { timeoutMs: 20_000 },
    );
    const took = await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_LEADER_CHANGED, '', since);
    assert.equal(took.controlPlaneId, next.id);
  });
});
