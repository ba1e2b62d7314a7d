import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../common/net/freePort';
import { waitFor } from '../../common/time/waitFor';
import { trackChild } from '../support/processRegistry';
import { outputDir } from '../support/testConsul';

const REPO = join(__dirname, '..', '..');

describe('a process whose config sets a key that has no effect', function () {
  it('logs one warning naming the key at start, and runs', async function () {
    const file = join(outputDir('configs'), 'no-effect.json');
    writeFileSync(file, JSON.stringify({ sync: { targets: ['primary'], conflictResolution: 'last-write-wins' } }));
    // The monitor is the lightest of the three; it runs without Consul (it retries).
    const child = spawn(process.execPath, [join(REPO, 'bin', 'shoal-monitor.js'), '--config', file, '--port', String(await freePort())], {
      cwd: REPO,
      env: { ...process.env, CONSUL_HTTP_ADDR: '127.0.0.1:1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const lines = () =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: string; msg: string; field?: string });
    await waitFor('the dashboard to serve', () => lines().some((l) => l.msg === 'dashboard serving'), { timeoutMs: 30_000, describe: () => stdout });
    const warnings = lines().filter((l) => l.msg.startsWith('config: '));
    assert.deepEqual(
      warnings.map((w) => [w.level, w.field]),
      [
        ['warn', 'sync.conflictResolution'],
        ['warn', 'sync.targets'],
      ],
    );
    assert.match(warnings[1].msg, /^config: sync\.targets has no effect: the primary and the replicas always hold the state/);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    assert.deepEqual(await exited, [0, null]);
  });
});
