import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { status } from '@grpc/grpc-js';
import { type WatchMembersResponse, MemberChangeKind } from '../../gen/shoal/v1/discovery';
import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import { ServingPhase } from '../../gen/shoal/v1/health';
import { waitFor } from '../../common/time/waitFor';
import { ClusterOfNodes, FULL_CLUSTER } from '../support/clusterOfNodes';
import { call, clientsFor, grpcError } from '../support/grpcClients';
import { startTestConsul, type TestConsul } from '../support/testConsul';

const IDS = ['primary', 'replica-1', 'replica-2', 'worker-1', 'worker-2'];

describe('a cluster of 1 primary, 2 replicas and 2 workers on a real Consul agent', function () {
  let consul: TestConsul;
  let cluster: ClusterOfNodes;

  before(async function () {
    consul = await startTestConsul();
    cluster = new ClusterOfNodes(consul.address, 'itest');
    await cluster.start(FULL_CLUSTER);
  });

  after(async function () {
    await cluster?.stopAll();
    await consul?.stop();
  });

  it('registers every node in Consul as shoal-<cluster>, service ID = node id, tagged by role, with a passing GRPC check', async function () {
    const entries = await consul.waitForPassing('shoal-itest', 5);
    // A node registers passing (it registers once it serves); Consul's own GRPC check runs
    // within an interval after that and must pass too. The agent shows its output at once (the
    // catalog copies an output-only change minutes later).
    const agentChecks = await waitFor(
      'Consul to have run every GRPC check',
      async () => {
        const checks = (await (await fetch(`http://${consul.address}/v1/agent/checks`)).json()) as Record<
          string,
          { ServiceID: string; Status: string; Output: string }
        >;
        const ours = Object.values(checks).filter((c) => IDS.includes(c.ServiceID));
        return ours.length === 5 && ours.every((c) => c.Status === 'passing' && /gRPC check .*: success/.test(c.Output)) && ours;
      },
      { timeoutMs: 10_000 },
    );
    assert.deepEqual(agentChecks.map((c) => c.ServiceID).sort(), IDS);
    const byId = new Map(entries.map((e) => [e.Service.ID, e]));
    assert.deepEqual([...byId.keys()].sort(), IDS);
    assert.deepEqual(byId.get('primary')!.Service.Tags, ['primary']);
    assert.deepEqual(byId.get('replica-2')!.Service.Tags, ['replica']);
    assert.deepEqual(byId.get('worker-1')!.Service.Tags, ['worker']);
    for (const [id, entry] of byId) {
      const grpcCheck = entry.Checks.find((c) => c.CheckID !== 'serfHealth');
      assert.ok(grpcCheck, `${id} has a service check`);
      assert.equal(grpcCheck.Status, 'passing');
      assert.equal(`${entry.Service.Address}:${entry.Service.Port}`, cluster.grpc(id));
      assert.equal(entry.Service.Meta?.http_port, cluster.http(id).split(':')[1]);
    }
  });

  it("shows all five members, passing, in every node's ListMembers", async function () {
    for (const id of IDS) {
      const c = clientsFor(cluster.grpc(id));
      try {
        const view = await waitFor(
          `${id} to see five passing members`,
          async () => {
            const res = await call(c.discovery, c.discovery.listMembers, {});
            return res.members.length === 5 && res.members.every((m) => m.health === MemberHealth.MEMBER_HEALTH_PASSING) && res;
          },
          { timeoutMs: 15000 },
        );
        assert.deepEqual(
          view.members.map((m) => m.id),
          IDS,
        );
        assert.equal(view.stale, false);
        const primary = view.members.find((m) => m.id === 'primary')!;
        assert.equal(primary.role, NodeRole.NODE_ROLE_PRIMARY);
        assert.equal(primary.grpcAddress, cluster.grpc('primary'));
      } finally {
        c.close();
      }
    }
  });

  it('answers GetNodeInfo with the node identity and GetStatus with live and ready', async function () {
    const c = clientsFor(cluster.grpc('replica-1'));
    try {
      const { node } = await call(c.discovery, c.discovery.getNodeInfo, {});
      assert.equal(node!.id, 'replica-1');
      assert.equal(node!.role, NodeRole.NODE_ROLE_REPLICA);
      assert.equal(node!.cluster, 'itest');
      assert.equal(node!.grpcAddress, cluster.grpc('replica-1'));
      assert.equal(node!.httpAddress, cluster.http('replica-1'));
      assert.ok(node!.startedAtUnixMs > Date.now() - 120_000 && node!.startedAtUnixMs <= Date.now());
      const health = await call(c.health, c.health.getStatus, {});
      assert.equal(health.live, true);
      assert.equal(health.ready, true);
      assert.equal(health.phase, ServingPhase.SERVING_PHASE_SERVING);
      assert.deepEqual(health.reasons, []);
      assert.equal(health.registered, true);
    } finally {
      c.close();
    }
  });

  it('answers GetMember for a known id, NOT_FOUND for an unknown one, INVALID_ARGUMENT for a malformed one', async function () {
    const c = clientsFor(cluster.grpc('worker-1'));
    try {
      const { member } = await call(c.discovery, c.discovery.getMember, { id: 'replica-2' });
      assert.equal(member!.role, NodeRole.NODE_ROLE_REPLICA);
      const unknown = await grpcError(call(c.discovery, c.discovery.getMember, { id: 'replica-9' }));
      assert.equal(unknown.code, status.NOT_FOUND);
      assert.match(unknown.details, /no member "replica-9"/);
      const malformed = await grpcError(call(c.discovery, c.discovery.getMember, { id: 'Bad Id!' }));
      assert.equal(malformed.code, status.INVALID_ARGUMENT);
      const missing = await grpcError(call(c.discovery, c.discovery.getMember, { id: '' }));
      assert.equal(missing.code, status.INVALID_ARGUMENT);
    } finally {
      c.close();
    }
  });

  it('streams StreamStatus samples at the requested period with consecutive sequence numbers', async function () {
    const c = clientsFor(cluster.grpc('primary'));
    const stream = c.health.streamStatus({ periodMs: 100 });
    const samples: { sequence: number; nodeId: string; rssBytes: number; inFlightCalls: number; sampledAtUnixMs: number }[] = [];
    stream.on('data', (s: (typeof samples)[number]) => samples.push(s));
    stream.on('error', () => undefined);
    try {
      await waitFor('five samples', () => samples.length >= 5, { timeoutMs: 5000 });
      assert.deepEqual(
        samples.slice(0, 5).map((s) => s.sequence),
        [1, 2, 3, 4, 5],
      );
      assert.ok(samples.every((s) => s.nodeId === 'primary' && s.rssBytes > 0 && s.inFlightCalls >= 1));
      const span = samples[4].sampledAtUnixMs - samples[0].sampledAtUnixMs;
      // Timers never fire early, so four periods can take no less than 400 ms (a millisecond of
      // clock rounding aside); how much longer they take depends on the machine.
      assert.ok(span >= 395, `4 periods of 100 ms took ${span} ms`);
    } finally {
      stream.cancel();
      c.close();
    }
  });

  it('releases a stream when its client cancels it: the node counts no open call afterwards', async function () {
    const inFlight = async () => {
      const text = await (await fetch(`http://${cluster.http('replica-1')}/metrics`)).text();
      return Number(/^shoal_grpc_server_in_flight (\d+)$/m.exec(text)?.[1]);
    };
    const c = clientsFor(cluster.grpc('replica-1'));
    try {
      const streams = [1, 2, 3].map(() => c.health.streamStatus({ periodMs: 100 }));
      const firstSamples = streams.map((s) => new Promise((resolve) => s.once('data', resolve)));
      for (const s of streams) s.on('error', () => undefined);
      await Promise.all(firstSamples);
      assert.ok((await inFlight()) >= 3, 'three streams are open');
      for (const s of streams) s.cancel();
      await waitFor('no open call on replica-1', async () => (await inFlight()) === 0, { timeoutMs: 5000 });
    } finally {
      c.close();
    }
  });

  it('rejects a StreamStatus period outside 100..60000 ms with INVALID_ARGUMENT', async function () {
    const c = clientsFor(cluster.grpc('primary'));
    try {
      const err = await new Promise<{ code: number; details: string }>((resolve) => {
        const stream = c.health.streamStatus({ periodMs: 5 });
        stream.on('data', () => undefined);
        stream.on('error', resolve);
      });
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(err.details, /period_ms/);
    } finally {
      c.close();
    }
  });

  it('serves /health/live, /health/ready and Prometheus /metrics over HTTP', async function () {
    const base = `http://${cluster.http('worker-2')}`;
    const live = await fetch(`${base}/health/live`);
    assert.equal(live.status, 200);
    const ready = await fetch(`${base}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { ready: boolean }).ready, true);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^shoal_node_info\{node_id="worker-2",role="worker",cluster="itest",version="[^"]+"\} 1$/m);
    assert.match(metrics, /^shoal_node_ready 1$/m);
    assert.match(metrics, /^shoal_grpc_server_handled_total\{/m);
    assert.match(metrics, /^process_resident_memory_bytes \d+/m);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  });

  it('answers an unknown method with UNIMPLEMENTED and mints no metric series for its name', async function () {
    const c = clientsFor(cluster.grpc('worker-2'));
    try {
      const err = await grpcError(
        new Promise((resolve, reject) =>
          c.discovery.makeUnaryRequest(
            '/shoal.v1.Discovery/NoSuchMethod',
            () => Buffer.alloc(0),
            (b: Buffer) => b,
            {},
            (e, r) => (e ? reject(e) : resolve(r)),
          ),
        ),
      );
      assert.equal(err.code, status.UNIMPLEMENTED);
      const metrics = await (await fetch(`http://${cluster.http('worker-2')}/metrics`)).text();
      assert.doesNotMatch(metrics, /NoSuchMethod/);
    } finally {
      c.close();
    }
  });

  it('survives garbage bytes on its gRPC port and answers the next good call', async function () {
    const [host, port] = cluster.grpc('replica-2').split(':');
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), host, () => {
        socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\xff\x13garbage', 'binary'));
        socket.write(Buffer.alloc(4096, 0xab));
      });
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      setTimeout(() => socket.destroy(), 500);
    });
    const c = clientsFor(cluster.grpc('replica-2'));
    try {
      const { node } = await call(c.discovery, c.discovery.getNodeInfo, {});
      assert.equal(node!.id, 'replica-2');
    } finally {
      c.close();
    }
  });

  it('writes only JSON log lines carrying node id, cluster and role, and nothing on stderr', function () {
    for (const id of IDS) {
      const node = cluster.node(id);
      assert.deepEqual(node.nonJsonLines, [], `${id} stdout`);
      assert.equal(node.stderr.join(''), '', `${id} stderr`);
      const serving = node.lines.find((l) => l.msg === 'node serving')!;
      assert.deepEqual([serving.node_id, serving.cluster, serving.role], [id, 'itest', id === 'primary' ? 'primary' : id.replace(/-\d+$/, '')]);
    }
  });

  describe('WatchMembers on the primary', function () {
    const messages: WatchMembersResponse[] = [];
    let closeWatch: () => void = () => undefined;

    before(function () {
      const c = clientsFor(cluster.grpc('primary'));
      const stream = c.discovery.watchMembers({});
      stream.on('data', (m: WatchMembersResponse) => messages.push(m));
      stream.on('error', () => undefined);
      closeWatch = () => (stream.cancel(), c.close());
    });

    after(() => closeWatch());

    it('starts with a snapshot of all five members', async function () {
      const first = await waitFor('the snapshot', () => messages[0], { timeoutMs: 5000 });
      assert.equal(first.event?.$case, 'snapshot');
      if (first.event?.$case !== 'snapshot') return;
      assert.deepEqual(
        first.event.value.members.map((m) => m.id),
        IDS,
      );
    });

    it('sees a kill -9 of worker-2 as its health turning critical', async function () {
      await cluster.node('worker-2').kill();
      const change = await waitFor(
        'worker-2 to turn critical',
        () =>
          messages.find(
            (m) =>
              m.event?.$case === 'change' &&
              m.event.value.member?.id === 'worker-2' &&
              m.event.value.kind === MemberChangeKind.MEMBER_CHANGE_KIND_HEALTH_CHANGED &&
              m.event.value.member.health === MemberHealth.MEMBER_HEALTH_CRITICAL,
          ),
        { timeoutMs: 15000 },
      );
      assert.ok(change.version > messages[0].version, 'a change carries a newer version than the snapshot');
    });

    it('sees a SIGTERM of worker-1 as it leaving (deregistered), and worker-1 exits 0', async function () {
      const node = cluster.node('worker-1');
      node.signal('SIGTERM');
      const exit = await node.exited;
      assert.equal(exit.code, 0);
      await waitFor(
        'worker-1 to leave',
        () =>
          messages.find(
            (m) => m.event?.$case === 'change' && m.event.value.member?.id === 'worker-1' && m.event.value.kind === MemberChangeKind.MEMBER_CHANGE_KIND_LEFT,
          ),
        { timeoutMs: 10000 },
      );
      const { value } = await consul.api.healthService('shoal-itest');
      assert.ok(!value.some((e) => e.Service.ID === 'worker-1'), 'worker-1 is gone from Consul');
    });

    it('numbers every message with a strictly growing version', async function () {
      // A member of its own joins and leaves, so there are changes to check even when this test
      // runs alone (`--grep`), after whatever the tests before it changed.
      const primary = cluster.grpc('primary');
      const [host, port] = [primary.split(':')[0], Number(primary.split(':')[1])];
      await consul.api.registerService({
        id: 'version-probe',
        name: 'shoal-itest',
        address: host,
        port,
        tags: ['worker'],
        meta: {},
        check: { name: 'probe', grpc: primary, interval: '1s', timeout: '1s', deregisterCriticalServiceAfter: '1m', initialStatus: 'passing' },
      });
      const probe = (kind: MemberChangeKind) => () =>
        messages.find((m) => m.event?.$case === 'change' && m.event.value.member?.id === 'version-probe' && m.event.value.kind === kind);
      await waitFor('version-probe to join', probe(MemberChangeKind.MEMBER_CHANGE_KIND_JOINED), { timeoutMs: 10000 });
      await consul.api.deregisterService('version-probe');
      await waitFor('version-probe to leave', probe(MemberChangeKind.MEMBER_CHANGE_KIND_LEFT), { timeoutMs: 10000 });
      const versions = messages.map((m) => m.version);
      assert.ok(versions.length >= 3, `a snapshot and two changes at least (got ${versions.length} messages)`);
      assert.deepEqual(
        versions,
        [...versions].sort((a, b) => a - b),
      );
      assert.equal(new Set(versions).size, versions.length);
    });
  });
});
