import assert from 'node:assert/strict';
import pino from 'pino';
import { ClusterEventKind } from '../../gen/shoal/v1/scale';
import { parseClusterConfig, type ScalingConfig } from '../../common/config/clusterConfig';
import type { KvItem } from '../../common/consul/ConsulApi';
import { DomainError } from '../../common/errors/DomainError';
import { EventJournal } from '../../control-plane/events/EventJournal';
import { scalingPolicyKey, ScalingController, type ScaledWorkers } from '../../control-plane/scaling/ScalingController';

// Scaling by hand and the policy in Consul, on a KV store and worker count held in memory.

function setUp() {
  const config = parseClusterConfig({ nodes: [{ id: 'worker', type: 'worker', count: 1, config: { port: 0 } }], scaling: { minWorkers: 1, maxWorkers: 3 } });
  const kv = new Map<string, string>();
  const policyStore = {
    kvGet: (key: string) => Promise.resolve({ index: '1', value: kv.has(key) ? ({ value: kv.get(key)!, modifyIndex: 1 } satisfies KvItem) : undefined }),
    kvPut: (key: string, value: string) => Promise.resolve(void kv.set(key, value)),
  };
  const workers: ScaledWorkers & { count: number } = {
    count: 1,
    get workerCount() {
      return this.count;
    },
    topology: () => [],
    setWorkerCount(count: number) {
      this.count = count;
      return Promise.resolve({ added: ['worker-2'], removed: [] });
    },
  };
  const logger = pino({ level: 'silent' });
  const journal = new EventJournal('cp-test', logger, { append: () => undefined });
  const decisions: ClusterEventKind[] = [];
  journal.subscribe((e) => e.decision && decisions.push(e.kind));
  const scaling = new ScalingController({
    config,
    policyStore,
    events: { backlog: () => Promise.reject(new Error('no primary in these tests')) },
    observer: { blind: false, stream: () => undefined },
    workers,
    journal,
    isLeader: () => true,
    logger,
  });
  return { scaling, kv, workers, decisions, key: scalingPolicyKey(config.name) };
}

describe('ScalingController', function () {
  it('sets the workers by hand and turns automatic scaling off in the stored policy', async function () {
    const { scaling, kv, workers, decisions, key } = setUp();
    assert.equal(await scaling.scaleWorkers(2), 2);
    assert.equal(workers.count, 2);
    assert.equal((JSON.parse(kv.get(key)!) as ScalingConfig).enabled, false);
    assert.deepEqual(decisions, [ClusterEventKind.CLUSTER_EVENT_KIND_SCALED_UP]);
  });

  it('refuses a count outside the policy as invalid input, naming the bounds, and changes nothing', async function () {
    const { scaling, kv, workers } = setUp();
    await assert.rejects(
      scaling.scaleWorkers(4),
      (err: DomainError) => err instanceof DomainError && err.kind === 'invalid-input' && /from min_workers 1 to max_workers 3/.test(err.message),
    );
    assert.equal(workers.count, 1);
    assert.equal(kv.size, 0);
  });

  it("reads Consul's policy over the config's, and the config's when Consul's is not JSON", async function () {
    const { scaling, kv, key } = setUp();
    kv.set(key, JSON.stringify({ maxWorkers: 5 }));
    assert.equal((await scaling.policy()).maxWorkers, 5);
    kv.set(key, 'not json');
    assert.equal((await scaling.policy()).maxWorkers, 3);
  });
});
