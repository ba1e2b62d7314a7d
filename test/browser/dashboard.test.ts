/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page functions below run in the browser: they see the DOM, not this module.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { PageFunction } from 'playwright-core/types/structs';
import { launchChromium } from '../support/browser';
import { ControlPlaneCluster } from '../support/controlPlaneCluster';
import { MonitorProcess } from '../support/monitorProcess';
import { outputDir } from '../support/testConsul';

const CLUSTER = 'dash';
/** Changes reach the page within a second; these deadlines leave room for a loaded CI machine. */
const SEEN_WITHIN_MS = 20_000;

describe('the dashboard shows the cluster live in a real browser (seed: monitoring dashboard)', function () {
  this.timeout(120_000);
  let cluster: ControlPlaneCluster;
  let monitor: MonitorProcess;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  const pageErrors: string[] = [];
  const shots = outputDir('browser');

  before(async function () {
    cluster = await ControlPlaneCluster.start({ cluster: CLUSTER });
    await cluster.ready();
    monitor = await MonitorProcess.start({ cluster: CLUSTER, consulAddress: cluster.consul.address });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Console errors include Content-Security-Policy violations.
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
    await page.goto(monitor.url);
  });

  after(async function () {
    await browser?.close();
    await monitor?.stop();
    await cluster?.stop();
  });

  it('shows every node with its id and role, the primary marked, and the control-plane leader', async function () {
    await waitOnPage(
      page,
      'five nodes drawn, all healthy',
      () => document.querySelectorAll('#topology g.node[data-node-id][data-status="healthy"]').length === 5,
    );
    const nodes = await page.$$eval('#topology g.node[data-node-id]', (gs) =>
      gs.map((g) => [g.getAttribute('data-node-id'), g.getAttribute('data-role'), g.querySelector('text.id')?.textContent]),
    );
    assert.deepEqual(nodes.sort(), [
      ['primary', 'primary', 'primary'],
      ['replica-1', 'replica', 'replica-1'],
      ['replica-2', 'replica', 'replica-2'],
      ['worker-1', 'worker', 'worker-1'],
      ['worker-2', 'worker', 'worker-2'],
    ]);
    assert.equal(await page.getAttribute('#topology g.node[data-primary="true"]', 'data-node-id'), 'primary');
    assert.equal(await page.textContent('#topology g.node[data-primary="true"] text.mark'), '★ PRIMARY');
    // Health in words too, not by colour alone.
    assert.match((await page.textContent('#topology g.node[data-node-id="worker-1"] text.meta'))!, /worker · healthy/);
    const leader = (await cluster.leader())!.id;
    assert.equal(await page.getAttribute('#topology g.control-plane[data-leader="true"]', 'data-control-plane-id'), leader);
    assert.equal(await page.textContent('#cp-leader'), leader);
    assert.equal(await page.$$eval('#topology line.replication', (ls) => ls.length), 2, 'a replication link to each replica');
    // Autoscaling: the counts and the policy of the cluster config (2 workers declared, max 6).
    const scaling = await page.$$eval('#scaling .figure', (fs) =>
      fs.map((f) => [f.querySelector('.label')?.textContent, f.querySelector('.value')?.textContent]),
    );
    assert.deepEqual(scaling.slice(0, 3), [
      ['workers running', '2'],
      ['desired', '2'],
      ['min / max', '2 / 6'],
    ]);
    assert.match((await page.textContent('#scaling .policy'))!, /Automatic scaling on\. Up when cpu > 80%/);
    await page.screenshot({ path: join(shots, 'dashboard-healthy.png'), fullPage: true, animations: 'disabled' });
  });

  it('the charts receive new points', async function () {
    const charts = ['chart-cpu', 'chart-memory', 'chart-rpc', 'chart-loop', 'chart-events'];
    const before = await pointsIn(page, charts);
    await waitOnPage(
      page,
      'two more points in every chart',
      ([ids, counts]) => ids.every((id, i) => Number(document.getElementById(id)?.dataset.points) >= counts[i] + 2),
      [charts, before] as [string[], number[]],
    );
    assert.ok((await page.$$eval('.chart canvas', (cs) => cs.length)) >= charts.length, 'uPlot drew each chart');
    // Each node has its own series in the cpu chart's legend.
    const series = await page.$$eval('#chart-cpu .u-legend .u-series .u-label', (ls) => ls.map((l) => l.textContent));
    assert.deepEqual(series.slice(1), ['primary', 'replica-1', 'replica-2', 'worker-1', 'worker-2']);
  });

  it('scenario 2 on the page: a worker killed -9 goes down, comes back healthy, and the event log says why', async function () {
    await recordStatuses(page, 'worker-1');
    cluster.killNode('worker-1');
    await waitOnPage(page, 'worker-1 seen not healthy', () => (window as unknown as StatusLog).__statuses.some((s) => s !== 'healthy'));
    await waitOnPage(page, 'worker-1 healthy again after a restart', () => {
      const row = document.querySelector('#nodes tr[data-node-id="worker-1"]');
      return row?.getAttribute('data-status') === 'healthy' && row.children[8]?.textContent === '1';
    });
    const statuses = await page.evaluate(() => (window as unknown as StatusLog).__statuses);
    assert.equal(statuses.at(-1), 'healthy');
    assert.ok(statuses.includes('down') || statuses.includes('starting'), `statuses seen: ${statuses.join(' → ')}`);
    await waitOnPage(
      page,
      'a node_restarted decision for worker-1 in the event log',
      () => document.querySelector('#events tr[data-kind="node_restarted"][data-node-id="worker-1"]') !== null,
    );
    const reason = await page.textContent('#events tr[data-kind="node_restarted"][data-node-id="worker-1"] td:nth-child(4)');
    assert.match(reason!, /its process exited/);
  });

  it('scenario 3 on the page: the primary killed -9, the primary mark moves to a replica, and the log shows the failover', async function () {
    cluster.killNode('primary');
    await waitOnPage(page, 'the primary mark on a replica', () => {
      const marked = document.querySelector('#topology g.node[data-primary="true"]');
      return marked !== null && marked.getAttribute('data-node-id') !== 'primary';
    });
    await page.screenshot({ path: join(shots, 'dashboard-failover.png'), fullPage: true, animations: 'disabled' });
    const promoted = (await page.getAttribute('#topology g.node[data-primary="true"]', 'data-node-id'))!;
    assert.match(promoted, /^replica-[12]$/);
    assert.equal(await page.textContent('#primary'), promoted);
    assert.equal(promoted, (await cluster.primary()).primaryId, 'the page agrees with the leader record in Consul');
    await waitOnPage(page, 'a failed_over decision in the event log', () => document.querySelector('#events tr[data-kind="failed_over"]') !== null);
    // The old primary comes back, as a replica of the new one.
    await waitOnPage(page, 'the old primary back as a healthy replica', () => {
      const g = document.querySelector('#topology g.node[data-node-id="primary"]');
      return g?.getAttribute('data-status') === 'healthy' && g.getAttribute('data-role') === 'replica';
    });
  });

  it('the event log filters by node and by kind', async function () {
    await page.selectOption('#filter-node', 'worker-1');
    const nodes = await page.$$eval('#events tbody tr', (rows) => rows.map((r) => r.getAttribute('data-node-id')));
    assert.ok(nodes.length > 0 && nodes.every((n) => n === 'worker-1'), `rows: ${nodes.join(', ')}`);
    await page.selectOption('#filter-node', '');
    await page.selectOption('#filter-kind', 'failed_over');
    const kinds = await page.$$eval('#events tbody tr', (rows) => rows.map((r) => r.getAttribute('data-kind')));
    assert.ok(kinds.length > 0 && kinds.every((k) => k === 'failed_over'), `rows: ${kinds.join(', ')}`);
    await page.selectOption('#filter-kind', '');
  });

  it('follows the new control-plane leader by itself when the leader stops', async function () {
    const old = (await cluster.leader())!.id;
    cluster.planes.get(old)!.kill('SIGTERM');
    await waitOnPage(
      page,
      'the page live again, following the other control plane',
      (previous) => {
        const c = document.getElementById('connection');
        return (
          c?.getAttribute('data-connected') === 'true' && !c.textContent.includes(previous) && document.getElementById('cp-leader')?.textContent !== previous
        );
      },
      old,
    );
  });

  it('reads in a narrow window and in dark mode', async function () {
    const narrow = await browser.newPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    try {
      narrow.on('request', (r) => requested.push(r.url()));
      await narrow.goto(monitor.url);
      await waitOnPage(narrow, 'nodes drawn', () => document.querySelectorAll('#topology g.node[data-node-id]').length === 5);
      const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
      const background = await narrow.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.notEqual(background, 'rgb(246, 247, 249)', 'dark mode has its own background');
      await narrow.screenshot({ path: join(shots, 'dashboard-narrow-dark.png'), fullPage: true, animations: 'disabled' });
    } finally {
      await narrow.close();
    }
  });

  it('the page asks nothing of any origin but its own, and raises no script error or policy violation', function () {
    const origin = new URL(monitor.url).origin;
    assert.ok(
      requested.some((u) => u.endsWith('/api/stream')),
      'the page opened its event stream',
    );
    assert.deepEqual(
      requested.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:')),
      [],
    );
    assert.deepEqual(pageErrors, []);
  });

  it('the monitor stops with exit code 0 on SIGTERM while a page is open, and the page says it is no longer live', async function () {
    assert.equal(await monitor.stop(), 0);
    await waitOnPage(
      page,
      'the page marked not live',
      () => document.body.dataset.live === 'false' && document.getElementById('connection')?.getAttribute('data-connected') === 'false',
    );
    assert.match((await page.textContent('#connection'))!, /^not live: .* · showing the picture of \d\d:\d\d:\d\d/);
  });
});

interface StatusLog {
  __statuses: string[];
}

/** Records, in the page, every status a node's shape takes from now on. */
async function recordStatuses(page: Page, nodeId: string): Promise<void> {
  await page.evaluate((id) => {
    const log: string[] = [];
    (window as unknown as StatusLog).__statuses = log;
    const g = document.querySelector(`#topology g.node[data-node-id="${id}"]`)!;
    new MutationObserver(() => {
      const s = g.getAttribute('data-status')!;
      if (log.at(-1) !== s) log.push(s);
    }).observe(g, { attributes: true, attributeFilter: ['data-status'] });
  }, nodeId);
}

async function pointsIn(page: Page, ids: string[]): Promise<number[]> {
  return page.evaluate((list) => list.map((id) => Number(document.getElementById(id)?.dataset.points ?? 0)), ids);
}

/** Waits for `condition` to hold in the page; on timeout, says what the page showed. */
async function waitOnPage<A = undefined>(page: Page, what: string, condition: PageFunction<A, boolean>, arg?: A): Promise<void> {
  try {
    await page.waitForFunction(condition, arg as A, { timeout: SEEN_WITHIN_MS, polling: 100 });
  } catch (err) {
    const shown = await page.evaluate(() => ({
      connection: document.getElementById('connection')?.textContent,
      nodes: [...document.querySelectorAll('#topology g.node[data-node-id]')].map(
        (g) =>
          `${g.getAttribute('data-node-id')}:${g.getAttribute('data-role')}:${g.getAttribute('data-status')}${g.getAttribute('data-primary') === 'true' ? '*' : ''}`,
      ),
      events: [...document.querySelectorAll('#events tbody tr')].slice(0, 5).map((r) => `${r.getAttribute('data-kind')}:${r.getAttribute('data-node-id')}`),
    }));
    mkdirSync(outputDir('browser'), { recursive: true });
    await page
      .screenshot({ path: join(outputDir('browser'), `timeout-${what.replace(/\W+/g, '-')}.png`), fullPage: true, animations: 'disabled' })
      .catch(() => undefined);
    throw new Error(`the page did not show ${what} within ${SEEN_WITHIN_MS} ms; it showed ${JSON.stringify(shown)} (${(err as Error).message.split('\n')[0]})`);
  }
}
