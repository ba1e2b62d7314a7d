// BullMQ on a local Redis, run the same way as shoal's events benchmark: 2 worker processes
// at the same concurrency, the same trivial handler, jobs added in batches of 100. For scale:
// shoal's cluster acknowledges a publish and an ack only once fsynced and applied on a replica
// (the events benchmark also runs a primary alone); Redis is run in memory (no fsync), and with
// an fsynced append-only file, and replicates nothing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { freePort } from '../common/net/freePort';
import { waitFor } from '../common/time/waitFor';
import { trackChild } from '../test/support/processRegistry';
import { CpuMeter } from './CpuMeter';

/**
 * @param durable Redis with an append-only file fsynced on every write (`appendfsync always`),
 *   closer to what shoal promises (still one machine, no replica).
 */
export async function bullmqBaseline(
  events: number,
  concurrency: number,
  durable: boolean,
): Promise<{ eventsPerSecond: number; cpuMicrosPerEvent: Record<string, number> } | { skipped: string }> {
  if (spawnSync('redis-server', ['--version']).status !== 0) return { skipped: 'redis-server is not on PATH (Debian: apt install redis-server)' };
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-redis-'));
  const persistence = durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, ...persistence], { stdio: 'ignore' });
  trackChild(redis);
  const workers = [1, 2].map(() => {
    const w = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'bullmqWorker.ts'), String(port), String(concurrency)], {
      stdio: 'inherit',
      cwd: join(__dirname, '..'),
    });
    trackChild(w);
    return w;
  });
  const connection = { host: '127.0.0.1', port };
  const queue = new Queue<{ payload: string }>('bench', { connection, defaultJobOptions: { removeOnComplete: false } });
  try {
    await waitFor('Redis', () => queue.waitUntilReady().then(() => true), { timeoutMs: 10_000 });
    await queue.add('warm-up', { payload: '' });
    await waitFor('the workers taking jobs', async () => (await queue.getJobCounts('completed')).completed >= 1, { timeoutMs: 30_000, intervalMs: 20 });
    const cpu = new CpuMeter(() => ({ redis: redis.pid ?? 0, ...Object.fromEntries(workers.map((w, i) => [`worker-${i + 1}`, w.pid ?? 0])) }));
    cpu.start();
    const started = performance.now();
    const batches = Array.from({ length: Math.ceil(events / 100) }, (_, i) => Math.min(100, events - i * 100));
    for (let i = 0; i < batches.length; i += 8) {
      await Promise.all(
        batches
          .slice(i, i + 8)
          .map((n, b) =>
            queue.addBulk(Array.from({ length: n }, (_, k) => ({ name: 'hash', data: { payload: Buffer.from(`e${i + b}-${k}`).toString('base64') } }))),
          ),
      );
    }
    await waitFor('every job completed', async () => (await queue.getJobCounts('completed')).completed >= events + 1, { timeoutMs: 300_000, intervalMs: 20 });
    const eventsPerSecond = Math.round(events / ((performance.now() - started) / 1000));
    return { eventsPerSecond, cpuMicrosPerEvent: cpu.stop(events) };
  } finally {
    await queue.close();
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => (w.exitCode !== null ? Promise.resolve() : new Promise((r) => w.once('exit', r)))));
    redis.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
