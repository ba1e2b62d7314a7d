/// <reference lib="dom" />
// How soon the dashboard shows what happened, in a real browser (Debian's Chromium): over
// BENCH_TRIALS trials (default 5) each, from the kill -9 to
//   worker down: the page shows a killed worker as not healthy;
//   worker back: the page shows it healthy again (the restart included);
//   primary moved: the page shows the primary mark on the promoted replica.
// The monitor gets a picture every 500 ms, so about 250 ms of each figure is that period.
// Prints median, p90, min and max; asserts nothing. Run: npm run bench -- dashboard
import type { Page } from 'playwright-core';
import { waitFor } from '../common/time/waitFor';
import { launchChromium } from '../test/support/browser';
import { ControlPlaneCluster } from '../test/support/controlPlaneCluster';
import { MonitorProcess } from '../test/support/monitorProcess';
import { summarize } from './stats';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);

/** Milliseconds from now until `condition` holds in the page. */
async function until(page: Page, condition: (id: string) => boolean, id: string, started: number): Promise<number> {
  await page.waitForFunction(condition, id, { timeout: 30_000, polling: 10 });
  return performance.now() - started;
}

export async function dashboard(): Promise<Record<string, unknown>> {
  const cluster = await ControlPlaneCluster.start({ cluster: 'bench-dash' });
  const monitor = await MonitorProcess.start({ cluster: 'bench-dash', consulAddress: cluster.consul.address }).catch(async (err: unknown) => {
    await cluster.stop();
    throw err;
  });
  const browser = await launchChromium();
  try {
    await cluster.ready(60_000);
    const page = await browser.newPage();
    await page.goto(monitor.url);
    const whole = () =>
      page.waitForFunction(
        () =>
          document.querySelectorAll('#topology g.node[data-node-id][data-status="healthy"]').length === 5 &&
          document.querySelector('#topology g.node[data-primary="true"]') !== null,
        undefined,
        { timeout: 60_000 },
      );
    await whole();
    const down: number[] = [];
    const back: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const worker = i % 2 === 0 ? 'worker-1' : 'worker-2';
      const started = performance.now();
      cluster.killNode(worker);
      down.push(
        await until(
          page,
          (id) => ['down', 'starting'].includes(document.querySelector(`#topology g.node[data-node-id="${id}"]`)?.getAttribute('data-status') ?? ''),
          worker,
          started,
        ),
      );
      back.push(
        await until(page, (id) => document.querySelector(`#topology g.node[data-node-id="${id}"]`)?.getAttribute('data-status') === 'healthy', worker, started),
      );
      await whole();
    }
    const moved: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const primary = (await cluster.primary()).primaryId;
      const started = performance.now();
      cluster.killNode(primary);
      moved.push(
        await until(
          page,
          (old) => (document.querySelector('#topology g.node[data-primary="true"]')?.getAttribute('data-node-id') ?? old) !== old,
          primary,
          started,
        ),
      );
      await whole();
      // The old primary back as a replica, so the next trial starts from a whole cluster.
      await waitFor('the old primary back', async () => (await cluster.node(primary))?.streamConnected, { timeoutMs: 30_000 });
    }
    return {
      workerDown: summarize('worker killed -9 → shown not healthy', down),
      workerBack: summarize('worker killed -9 → shown healthy again', back),
      primaryMoved: summarize('primary killed -9 → primary mark on the promoted replica', moved),
    };
  } finally {
    await browser.close();
    await monitor.stop();
    await cluster.stop();
  }
}
