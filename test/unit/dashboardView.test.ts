import assert from 'node:assert/strict';
import { StreamStatusResponse } from '../../gen/shoal/v1/health';
import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import { ClusterEventKind, NodePhase, type TopologyNode, WatchClusterResponse } from '../../gen/shoal/v1/scale';
import { type ClusterView, clusterView, nodePlace, nodeStatus, nodeView } from '../../control-plane/monitor/dashboardView';
import { EventLog } from '../../control-plane/monitor/EventLog';
import { MetricHistory } from '../../control-plane/monitor/MetricHistory';

function node(id: string, over: Partial<TopologyNode> = {}): TopologyNode {
  return {
    id,
    declaredRole: NodeRole.NODE_ROLE_WORKER,
    observedRole: NodeRole.NODE_ROLE_WORKER,
    health: MemberHealth.MEMBER_HEALTH_PASSING,
    phase: NodePhase.NODE_PHASE_RUNNING,
    managed: true,
    restarts: 0,
    grpcAddress: '127.0.0.1:1',
    pid: 1,
    streamConnected: true,
    lastSampleUnixMs: 1,
    term: 0,
    logPosition: 0,
    detail: '',
    host: '',
    lastSample: undefined,
    ...over,
  };
}

function view(atMs: number, rssBytes: number): ClusterView {
  const sample = StreamStatusResponse.fromPartial({ sequence: 1, rssBytes, cpuPercent: 12.345, sampledAtUnixMs: atMs });
  const m = WatchClusterResponse.fromPartial({
    atUnixMs: atMs,
    topology: { cluster: 'c', nodes: [node('worker-1', { lastSample: sample })] },
    scaling: { policy: {} },
  });
  return clusterView(m, [], undefined);
}

describe('the dashboard view of the contract (pure)', function () {
  it('names roles, health, phases and event kinds as the page and the metrics do', function () {
    const v = nodeView(
      node('replica-1', {
        declaredRole: NodeRole.NODE_ROLE_REPLICA,
        observedRole: NodeRole.NODE_ROLE_PRIMARY,
        health: MemberHealth.MEMBER_HEALTH_CRITICAL,
        phase: NodePhase.NODE_PHASE_SUSPECTED,
      }),
      'replica-1',
    );
    assert.deepEqual([v.declaredRole, v.role, v.health, v.phase, v.status, v.place], ['replica', 'primary', 'critical', 'suspected', 'down', 'primary']);
    const m = WatchClusterResponse.fromPartial({
      topology: { cluster: 'c' },
      scaling: {
        policy: { minWorkers: 2 },
        lastDecision: {
          kind: ClusterEventKind.CLUSTER_EVENT_KIND_SCALED_UP,
          controlPlaneId: 'cp',
          sequence: 3,
          atUnixMs: 9,
          details: [{ key: 'cpu', value: '91' }],
        },
      },
    });
    const d = clusterView(m, [], undefined).scaling.lastDecision!;
    assert.deepEqual([d.kind, d.key, d.details], ['scaled_up', 'cp/3/9', [['cpu', '91']]]);
  });

  it('shows no sample for a node whose stream is broken, however recent its last one', function () {
    assert.equal(
      nodeView(node('worker-1', { streamConnected: false, lastSample: StreamStatusResponse.fromPartial({ cpuPercent: 50 }) }), 'primary').sample,
      undefined,
    );
  });

  it('calls a node down when either the control plane or Consul says so, starting until both say it runs', function () {
    const cases: [phase: string, health: string, status: string][] = [
      ['running', 'passing', 'healthy'],
      ['down', 'passing', 'down'],
      ['suspected', 'passing', 'down'],
      ['running', 'critical', 'down'],
      ['starting', 'passing', 'starting'],
      ['pending', 'unknown', 'starting'],
      ['running', 'warning', 'starting'],
      ['running', 'unknown', 'starting'],
      // Drained wins, whatever Consul says of it.
      ['drained', 'critical', 'drained'],
    ];
    assert.deepEqual(
      cases.map(([phase, health]) => nodeStatus(phase, health)),
      cases.map(([, , status]) => status),
    );
  });

  it('places a node by the role it plays, else the one it is declared with, and the primary apart', function () {
    assert.equal(nodePlace('replica-1', 'primary', 'replica', 'replica-1'), 'primary', 'the primary by id, whatever its role says');
    assert.equal(nodePlace('primary', 'replica', 'primary', 'replica-1'), 'replica', 'an old primary back as a replica');
    assert.equal(nodePlace('worker-3', '', 'worker', 'primary'), 'worker', 'a worker not yet reporting its role');
    assert.equal(nodePlace('extra', '', '', 'primary'), 'replica', 'a node of no known role is drawn with the replicas');
    const m = WatchClusterResponse.fromPartial({
      topology: { cluster: 'c', primaryId: 'replica-2', nodes: [node('replica-2', { observedRole: NodeRole.NODE_ROLE_PRIMARY }), node('worker-1')] },
      scaling: { policy: {} },
    });
    assert.deepEqual(
      clusterView(m, [], undefined).nodes.map((n) => n.place),
      ['primary', 'worker'],
    );
  });

  it('keeps the last window of chart points, in MiB, and drops older ones', function () {
    const history = new MetricHistory(1000);
    history.add(view(0, 2 ** 20));
    history.add(view(600, 2 * 2 ** 20));
    const point = history.add(view(1500, 3 * 2 ** 20));
    assert.deepEqual(
      history.all().map((p) => p.atMs),
      [600, 1500],
    );
    assert.deepEqual(point.nodes['worker-1'], { cpuPercent: 12.3, rssMiB: 3, rpcPerSecond: 0, eventLoopP99Ms: 0 });
  });

  it('keeps each control-plane event once, in time order, and the newest only', function () {
    const event = (key: string, atMs: number) => ({
      key,
      atMs,
      kind: 'node_down',
      decision: false,
      nodeId: 'w',
      reason: '',
      controlPlaneId: 'cp',
      traceId: '',
      details: [],
    });
    const log = new EventLog(3);
    assert.deepEqual([log.add(event('a', 10)), log.add(event('c', 30)), log.add(event('b', 20)), log.add(event('a', 10))], [true, true, true, false]);
    assert.deepEqual(
      log.all().map((e) => e.key),
      ['a', 'b', 'c'],
    );
    assert.equal(log.add(event('d', 40)), true, 'a newer event pushes the oldest out');
    // A replay after a reconnect brings the dropped event back: older than all kept, not news.
    assert.equal(log.add(event('a', 10)), false);
    assert.deepEqual(
      log.all().map((e) => e.key),
      ['b', 'c', 'd'],
    );
  });
});
