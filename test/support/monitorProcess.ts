import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../common/net/freePort';
import { waitFor } from '../../common/time/waitFor';
import { trackChild } from './processRegistry';
import { outputDir } from './testConsul';

const REPO = join(__dirname, '..', '..');

/** bin/shoal-monitor.js on a free port on 127.0.0.1, log under test-output/logs/<cluster>/monitor.log. */
export class MonitorProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(opts: { cluster: string; consulAddress: string }): Promise<MonitorProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [join(REPO, 'bin', 'shoal-monitor.js'), '--cluster', opts.cluster, '--port', String(port)], {
      cwd: REPO,
      env: { ...process.env, CONSUL_HTTP_ADDR: opts.consulAddress },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    const log = createWriteStream(join(outputDir('logs', opts.cluster), 'monitor.log'), { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    const monitor = new MonitorProcess(child, `http://127.0.0.1:${port}`);
    await waitFor('the monitor to follow the control-plane leader', async () => child.exitCode === null && (await fetch(`${monitor.url}/health/ready`)).ok, {
      timeoutMs: 30_000,
    });
    return monitor;
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    return code;
  }
}
