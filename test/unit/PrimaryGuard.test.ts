import assert from 'node:assert/strict';
import pino from 'pino';
import type { Member } from '../../gen/shoal/v1/discovery';
import { MemberHealth, NodeRole } from '../../gen/shoal/v1/node';
import { ClusterEventKind } from '../../gen/shoal/v1/scale';
import { type PrimaryChange, PrimaryChangeError } from '../../common/cluster/changePrimary';
import { parseClusterConfig } from '../../common/config/clusterConfig';
import { DomainError } from '../../common/errors/DomainError';
import { EventJournal } from '../../control-plane/events/EventJournal';
import type { StreamState } from '../../control-plane/observe/NodeStream';
import { NodeTracks } from '../../control-plane/reconcile/NodeTracks';
import { PrimaryGuard, type PrimaryChanges } from '../../control-plane/reconcile/PrimaryGuard';

// The guard's decisions about the primary, on a leader record and primary changes held in memory.

function setUp(failover: () => Promise<PrimaryChange>) {
  const config = parseClusterConfig({
    nodes: [
      { id: 'primary', type: 'primary', config: { port: 0 } },
      { id: 'replica', type: 'replica', count: 2, config: { port: 0 } },
    ],
    controlPlane: { port: 0 },
  });
  const logger = pino({ level: 'silent' });
  const journal = new EventJournal('cp-test', logger, { append: () => undefined });
  const decisions: string[] = [];
  journal.subscribe((e) => e.decision && decisions.push(`${ClusterEventKind[e.kind]} ${e.nodeId}: ${e.reason}`));
  const members = new Map<string, Member>();
  const streams = new Map<string, { state: StreamState }>();
  const observer = {
    blind: false,
    members,
    leader: { term: 1, primaryId: 'primary', primaryAddress: '', changedAtMs: 0, reason: 'bootstrap' },
    stream: (id: string) => streams.get(id),
    watchNode: () => undefined,
  };
  const asked: { stateNodeIds: string[] }[] = [];
  const primaries: PrimaryChanges = {
    currentPrimary: () => Promise.resolve(observer.leader.primaryId),
    failover: (opts) => (asked.push(opts), failover()),
    switchover: () => Promise.reject(new PrimaryChangeError('no switchover here')),
  };
  const guard = new PrimaryGuard({ config, observer, journal, tracks: new NodeTracks(config), logger, mayAct: () => true }, primaries);
  return { guard, decisions, asked, members, streams };
}

const change: PrimaryChange = { from: 'primary', to: 'replica-1', term: 2, startPosition: 7, steps: [] };

describe('PrimaryGuard', function () {
  it('fails the primary over to the replica the change picks, counting every declared state node', async function () {
    const { guard, decisions, asked } = setUp(() => Promise.resolve(change));
    await guard.failOver('primary', 'its process exited');
    assert.deepEqual(decisions, [
      'CLUSTER_EVENT_KIND_PROMOTED replica-1: the most advanced replica; primary from position 7 in term 2',
      'CLUSTER_EVENT_KIND_FAILED_OVER primary: its process exited',
    ]);
    assert.deepEqual(asked[0].stateNodeIds, ['primary', 'replica-1', 'replica-2']);
  });

  it('does nothing for a node the leader record no longer names as primary', async function () {
    const { guard, decisions, asked } = setUp(() => Promise.resolve(change));
    await guard.failOver('replica-1', 'its process exited');
    assert.deepEqual(decisions, []);
    assert.equal(asked.length, 0);
  });

  it('records a blocked failover once per reason and waits a second before trying again', async function () {
    const { guard, decisions, asked } = setUp(() => Promise.reject(new PrimaryChangeError('only 0 of 2 replicas answered')));
    await guard.failOver('primary', 'gone');
    await guard.failOver('primary', 'gone');
    assert.equal(asked.length, 1, 'the second attempt waits for the retry time');
    assert.deepEqual(decisions, ['CLUSTER_EVENT_KIND_FAILOVER_BLOCKED primary: only 0 of 2 replicas answered']);
  });

  it('refuses to hand over from a primary no healthy replica can replace', async function () {
    const { guard, members, streams } = setUp(() => Promise.resolve(change));
    members.set('replica-1', {
      id: 'replica-1',
      role: NodeRole.NODE_ROLE_REPLICA,
      grpcAddress: '',
      httpAddress: '',
      health: MemberHealth.MEMBER_HEALTH_CRITICAL,
      version: '',
      consulNode: '',
      checks: [],
    });
    streams.set('replica-1', { state: { connected: false, lastSampleAt: 0, brokeAt: 0, sample: undefined } });
    await assert.rejects(
      guard.handOver('primary'),
      (err: DomainError) => err instanceof DomainError && err.kind === 'precondition' && /no healthy replica/.test(err.message),
    );
  });
});
