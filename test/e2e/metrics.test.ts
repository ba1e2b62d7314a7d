import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

type PrometheusMetricFamily = parsePrometheusTextFormat.PrometheusMetricFamily;
import { EventsClient } from '../../common/client/EventsClient';
import { clusterMembers } from '../../common/cluster/memberFromConsul';
import { waitFor } from '../../common/time/waitFor';
import { ControlPlaneCluster } from '../support/controlPlaneCluster';

const CLUSTER = 'metrics';

/** The metric table of docs/observability.md: name → where it is served ("node", "primary", …). */
function documentedMetrics(): Map<string, string> {
  const page = readFileSync(join(__dirname, '..', '..', 'docs', 'observability.md'), 'utf8');
  const section = page.slice(page.indexOf('## Prometheus metrics'));
  const table = section
    .slice(0, section.indexOf('\n## '))
    .split('\n')
    .filter((l) => l.startsWith('| `'));
  const rows = table.map((l) => /^\| `([a-z0-9_:]+)(?:\{[^}]*\})?` \| ([a-z ]+) \|/.exec(l));
  assert.deepEqual(
    table.filter((_l, i) => !rows[i]),
    [],
    'every row of the table names a metric and where it is',
  );
  return new Map(rows.map((m) => [m![1], m![2]]));
}

async function scrape(httpAddress: string): Promise<Map<string, PrometheusMetricFamily>> {
  const res = await fetch(`http://${httpAddress}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/plain/);
  return new Map(parsePrometheusTextFormat(await res.text()).map((f) => [f.name, f]));
}

function sum(family: PrometheusMetricFamily | undefined, labels: Record<string, string> = {}): number {
  return (family?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)).reduce((n, m) => n + Number(m.value ?? 0), 0);
}

describe('Prometheus metrics: every documented name, where docs/observability.md says, parsed by a Prometheus parser', function () {
  this.timeout(90_000);
  let cluster: ControlPlaneCluster;
  let events: EventsClient;

  before(async function () {
    cluster = await ControlPlaneCluster.start({ cluster: CLUSTER, controlPlanes: 1, scaling: { enabled: false } });
    await cluster.ready();
    events = new EventsClient({ consul: cluster.consul.api, cluster: CLUSTER });
    // Some events through the workers, so the event and replication metrics have values.
    await events.publishBatch(Array.from({ length: 10 }, (_, i) => ({ type: 'hash', payload: Buffer.from(`m${i}`) })));
    await waitFor('ten events done', async () => (await events.backlog()).done >= 10, { timeoutMs: 30_000 });
  });

  after(async function () {
    events?.close();
    await cluster?.stop();
  });

  it('serves each documented metric on the processes the table names, with values that match the cluster', async function () {
    const documented = documentedMetrics();
    assert.ok(documented.size >= 25, `docs/observability.md's table lists ${documented.size} metrics`);
    const members = await clusterMembers(cluster.consul.api, CLUSTER);
    const primaryId = (await cluster.primary()).primaryId;
    const byRole = { primary: [] as string[], replica: [] as string[], worker: [] as string[] };
    const scraped = new Map<string, Map<string, PrometheusMetricFamily>>();
    for (const m of members) {
      scraped.set(m.id, await scrape(m.httpAddress));
      byRole[m.id === primaryId ? 'primary' : m.id.startsWith('worker') ? 'worker' : 'replica'].push(m.id);
    }
    const leader = (await cluster.leader())!;
    const controlPlane = await scrape(leader.httpAddress);
    const where: Record<string, Map<string, PrometheusMetricFamily>[]> = {
      'every process': [...scraped.values(), controlPlane],
      node: [...scraped.values()],
      'state node': [...byRole.primary, ...byRole.replica].map((id) => scraped.get(id)!),
      primary: byRole.primary.map((id) => scraped.get(id)!),
      worker: byRole.worker.map((id) => scraped.get(id)!),
      'control plane': [controlPlane],
    };
    const missing: string[] = [];
    for (const [name, place] of documented) {
      assert.ok(where[place], `docs/observability.md names an unknown place "${place}" for ${name}`);
      for (const families of where[place]) if (!families.has(name)) missing.push(`${name} on a ${place}`);
    }
    assert.deepEqual(missing, []);

    // Counters end in _total; shoal's own names start with shoal_.
    for (const families of [...scraped.values(), controlPlane]) {
      for (const f of families.values()) if (f.type === 'COUNTER') assert.match(f.name, /_total$/, `counter ${f.name}`);
    }
    // The values are the cluster's.
    const primary = scraped.get(byRole.primary[0])!;
    assert.ok(sum(primary.get('shoal_events'), { state: 'done' }) >= 10);
    assert.ok(byRole.worker.reduce((n, id) => n + sum(scraped.get(id)!.get('shoal_worker_events_processed_total')), 0) >= 10);
    assert.equal(sum(controlPlane.get('shoal_control_plane_leader')), 1);
    assert.equal(sum(controlPlane.get('shoal_control_plane_decisions_total'), { kind: 'node_started' }), 5);
    assert.equal(sum(controlPlane.get('shoal_control_plane_workers'), { state: 'running' }), 2);
    assert.equal(sum(primary.get('shoal_replication_connected_replicas')), 2);
  });
});
