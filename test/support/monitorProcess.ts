import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../common/net/freePort';
import { waitFor } from '../../common/time/waitFor';
import { httpRequestOf } from './httpRequest';
import { trackChild } from './processRegistry';
import { outputDir } from './testConsul';

const REPO = join(__dirname, '..', '..');

export interface MonitorOptions {
  cluster: string;
  consulAddress: string;
  /** Further flags (--host, --config, --insecure…). */
  args?: string[];
  /** Further environment (SHOAL_DASHBOARD_TOKEN…). */
  env?: NodeJS.ProcessEnv;
  /** The CA of a monitor that serves HTTPS: its URL is then https://, checked against this CA. */
  ca?: Buffer;
  /** The log file's name under test-output/logs/<cluster>/. @default monitor.log */
  logName?: string;
}

/**
 * bin/shoal-monitor.js on a free port (reached through 127.0.0.1, whatever it binds), log under
 * test-output/logs/<cluster>/monitor.log; started once it answers /health/ready.
 */
export class MonitorProcess {
  private text = '';

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    /** Where its stdout and stderr go. */
    readonly logFile: string,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
  }

  static async start(opts: MonitorOptions): Promise<MonitorProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [join(REPO, 'bin', 'shoal-monitor.js'), '--cluster', opts.cluster, '--port', String(port), ...(opts.args ?? [])], {
      cwd: REPO,
      env: { ...process.env, CONSUL_HTTP_ADDR: opts.consulAddress, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    const logFile = join(outputDir('logs', opts.cluster), opts.logName ?? 'monitor.log');
    const log = createWriteStream(logFile, { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    const monitor = new MonitorProcess(child, `${opts.ca ? 'https' : 'http'}://127.0.0.1:${port}`, logFile);
    await waitFor(
      'the monitor to follow the control-plane leader',
      async () => child.exitCode === null && (await httpRequestOf(`${monitor.url}/health/ready`, { ca: opts.ca })).status === 200,
      { timeoutMs: 30_000, describe: () => monitor.output },
    );
    return monitor;
  }

  /** Everything it wrote, stdout and stderr, so far. */
  get output(): string {
    return this.text;
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
