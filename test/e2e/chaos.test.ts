import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateClient } from '../../common/client/StateClient';
import { waitFor } from '../../common/time/waitFor';
import { ControlPlaneCluster } from '../support/controlPlaneCluster';
import { runCli } from '../support/runCli';
import { outputDir } from '../support/testConsul';

interface ChaosResults {
  seed: number;
  ops: { ok: number; fail: number; unknown: number };
  faults: number;
  valid: boolean;
  verdicts: { checker: string; valid: boolean | 'unknown'; problems: string[] }[];
}

/** Runs `shoal chaos --json` against `c`; its results and its exit code. */
async function chaosOn(c: ControlPlaneCluster, args: string[], report: string): Promise<{ code: number; results: ChaosResults; stderr: string }> {
  const r = await runCli(
    ['chaos', '--json', '--run-dir', c.runDir.path, '--config', c.configPath, '--report', report, ...args],
    { CONSUL_HTTP_ADDR: c.consul.address },
    180_000,
  );
  assert.ok(r.stdout.trim().startsWith('{'), `shoal chaos printed no results (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return { code: r.code, results: JSON.parse(r.stdout) as ChaosResults, stderr: r.stderr };
}

describe('shoal chaos on a cluster the control plane heals', function () {
  this.timeout(240_000);
  let c: ControlPlaneCluster;

  before(async function () {
    c = await ControlPlaneCluster.start({ cluster: 'chaos', controlPlanes: 2, workers: 1 });
    await c.ready();
  });

  after(async function () {
    await c?.stop();
  });

  it('judges a seeded 20 s run under kills and pauses valid: hundreds of operations, every checker passing, the history written', async function () {
    const report = join(outputDir('chaos'), 'clean');
    const { code, results, stderr } = await chaosOn(c, ['--duration', '20', '--seed', '11'], report);
    assert.equal(code, 0, `${JSON.stringify(results.verdicts, null, 2)}\n${stderr}`);
    assert.equal(results.valid, true);
    assert.ok(results.ops.ok >= 300, `only ${results.ops.ok} operations succeeded`);
    assert.ok(results.faults >= 5, `only ${results.faults} faults`);
    assert.deepEqual(
      results.verdicts.map((v) => [v.checker, v.valid]),
      [
        ['one writer per term', true],
        ['linearizable per key', true],
        ['acknowledged writes', true],
        ['set', true],
      ],
    );
    const lines = readFileSync(join(report, 'history.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.filter((l) => l.includes('"type":"fault"')).length, results.faults);
    assert.ok(lines.length > results.ops.ok, 'an invoke and a completion per operation, and the faults');
  });

  it('finds an acknowledged write that went missing (deleted behind the clients’ back) and exits 1', async function () {
    const seed = 12;
    const prefix = `chaos/s${seed}/set/`;
    const running = chaosOn(
      c,
      ['--duration', '8', '--seed', String(seed), '--workload', 'set', '--faults', 'pause-node'],
      join(outputDir('chaos'), 'tampered'),
    );
    const rogue = new StateClient({ consul: c.consul.api, cluster: 'chaos', deadlineMs: 5000, credentials: c.credentials });
    let victim: string;
    try {
      victim = await waitFor('an element the set clients added', async () => (await rogue.list(prefix, { limit: 1 })).entries[0]?.key, { timeoutMs: 10_000 });
      await rogue.delete(victim);
    } finally {
      rogue.close();
    }
    const { code, results } = await running;
    assert.equal(code, 1);
    const set = results.verdicts.find((v) => v.checker === 'set')!;
    assert.equal(set.valid, false);
    assert.equal(set.problems.length, 1, set.problems.join('\n'));
    assert.match(set.problems[0], new RegExp(`^${victim}: the acknowledged .* is lost: the final read does not list it$`));
  });
});
