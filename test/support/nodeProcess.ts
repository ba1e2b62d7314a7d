import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../common/time/waitFor';
import { trackChild } from './processRegistry';
import { outputDir } from './testConsul';

const REPO = join(__dirname, '..', '..');

export interface NodeSpec {
  role: 'primary' | 'replica' | 'worker';
  id?: string;
  consulAddress: string;
  cluster?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** The node's state directory. @default test-output/data/<cluster>/<id> */
  dataDir?: string;
}

/**
 * A real node process (bin/shoal-node.js) on 127.0.0.1 with OS-chosen ports. Its log lines
 * are kept (parsed JSON) and written to test-output/logs/<cluster>/<id>.log.
 */
export class NodeProcess {
  readonly lines: Record<string, unknown>[] = [];
  /** Lines on stdout that were not JSON (a node writes none). */
  readonly nonJsonLines: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private constructor(
    readonly id: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static spawn(spec: NodeSpec): NodeProcess {
    const id = spec.id ?? spec.role;
    const cluster = spec.cluster ?? 'test';
    const dataDir = spec.dataDir ?? join(outputDir('data', cluster), id);
    const args = [
      join(REPO, 'bin', 'shoal-node.js'),
      '--role',
      spec.role,
      '--cluster',
      cluster,
      '--port',
      '0',
      '--http-port',
      '0',
      '--data-dir',
      dataDir,
      ...(spec.id ? ['--id', spec.id] : []),
      ...(spec.args ?? []),
    ];
    const child = spawn(process.execPath, args, {
      cwd: REPO,
      env: { ...process.env, CONSUL_HTTP_ADDR: spec.consulAddress, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    const node = new NodeProcess(id, child);
    const log = createWriteStream(join(outputDir('logs', cluster), `${id}.log`), { flags: 'a' });
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        try {
          node.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          node.nonJsonLines.push(line);
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      log.write(chunk);
      node.stderr.push(chunk.toString());
    });
    child.once('exit', () => log.end());
    return node;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The first log line with this message, once it appears. */
  async logLine(msg: string, timeoutMs = 20000): Promise<Record<string, unknown>> {
    return waitFor(`${this.id} to log "${msg}"`, () => this.lines.find((l) => l.msg === msg), {
      timeoutMs,
      describe: () => `${this.lines.length} lines, last: ${JSON.stringify(this.lines.at(-1))} stderr: ${this.stderr.join('')}`,
    });
  }

  /** Waits for "node serving" and returns the addresses it bound. */
  async serving(): Promise<{ grpc: string; http: string }> {
    const line = await this.logLine('node serving');
    return { grpc: line.grpc as string, http: line.http as string };
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** SIGKILL unless already gone; resolves once the process has exited. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }
}
