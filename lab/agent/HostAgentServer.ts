import { type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type AgentProcess, HOST_AGENT_PATH, type StartRequest, type StopRequest } from '../../common/lab/hostAgentProtocol';
import { ROLE_NAMES } from '../../common/config/nodeIds';
import { spawnDetached } from '../../common/local/spawnDetached';
import { pickPort } from '../../control-plane/placement/pickPort';
import { REPO_ROOT } from '../../common/paths';

export interface HostAgentOptions {
  host: string;
  address: string;
  port: number;
  /** The host's directory: data/<id>, logs/<id>.log and processes.json. */
  dir: string;
  clusterConfig: string;
  cluster: string;
  consul: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A lab host's agent (common/lab/hostAgentProtocol.ts): starts, stops and lists the shoal nodes
 * of its host. Its nodes run in the agent's own network namespace, bound to the host's address
 * and using the host's Consul agent. Records live in memory and in processes.json (for people
 * and scripts; a restarted agent starts with none). Test infrastructure, like a kubelet in kind.
 */
export class HostAgentServer {
  private readonly records = new Map<string, AgentProcess>();
  private readonly children = new Map<string, ChildProcess>();
  private server?: Server;

  constructor(private readonly opts: HostAgentOptions) {}

  listen(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port, this.opts.address, () => resolve());
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://agent');
      const rest = url.pathname.startsWith(HOST_AGENT_PATH) ? url.pathname.slice(HOST_AGENT_PATH.length) : undefined;
      if (rest === undefined) throw new HttpError(404, `no such path ${url.pathname}`);
      const [, rawId, action] = rest.split('/');
      const id = rawId === undefined ? undefined : decodeURIComponent(rawId);
      if (!id && req.method === 'GET') return send(res, 200, { host: this.opts.host, processes: [...this.records.values()] });
      if (!id && req.method === 'POST') return send(res, 201, await this.start(parseStart(await body(req))));
      if (id && action === 'stop' && req.method === 'POST') return send(res, 200, await this.stop(id, (await body(req)) as StopRequest));
      if (id && !action && req.method === 'PATCH') {
        const { drained } = (await body(req)) as { drained?: unknown };
        if (typeof drained !== 'boolean') throw new HttpError(400, 'drained must be a boolean');
        return send(res, 200, this.update(this.known(id), { drained }));
      }
      if (id && !action && req.method === 'DELETE') {
        if (this.known(id).running) throw new HttpError(409, `${id} is running: stop it first`);
        this.records.delete(id);
        this.persist();
        return send(res, 204, undefined);
      }
      throw new HttpError(405, `${req.method} ${url.pathname} is not part of the host agent's protocol`);
    } catch (err) {
      send(res, err instanceof HttpError ? err.status : 500, { error: (err as Error).message });
    }
  }

  private async start(req: StartRequest): Promise<AgentProcess> {
    if (this.records.get(req.id)?.running) throw new HttpError(409, `${req.id} runs already on ${this.opts.host}`);
    const taken = new Set([...this.records.values()].filter((p) => p.running).flatMap((p) => [p.grpcPort, p.httpPort]));
    const grpcPort = await pickPort(req.grpcPort, taken, this.opts.address);
    const httpPort = await pickPort(req.httpPort, new Set([...taken, grpcPort]), this.opts.address);
    const log = join(this.opts.dir, 'logs', `${req.id}.log`);
    const dataDir = join(this.opts.dir, 'data', req.id);
    mkdirSync(dataDir, { recursive: true });
    const { address } = this.opts;
    const args = ['--role', req.role, '--id', req.id, '--cluster', this.opts.cluster, '--config', this.opts.clusterConfig, '--host', address];
    args.push('--consul', this.opts.consul, '--port', String(grpcPort), '--http-port', String(httpPort), '--data-dir', dataDir);
    const child = spawnDetached(join(REPO_ROOT, 'bin', 'shoal-node.js'), args, log, process.env);
    const record: AgentProcess = {
      id: req.id,
      role: req.role,
      host: this.opts.host,
      pid: child.pid,
      running: true,
      grpcAddress: `${address}:${grpcPort}`,
      grpcPort,
      httpPort,
      log,
      startedAtMs: Date.now(),
      restarts: req.restarts,
      drained: false,
    };
    this.records.set(req.id, record);
    this.children.set(req.id, child);
    child.once('exit', (code, signal) => {
      // A record replaced by a newer start of the same id is not this child's.
      if (this.records.get(req.id)?.pid !== child.pid) return;
      this.update(record, { running: false, exitedAtMs: Date.now(), exit: signal ?? String(code) });
      this.children.delete(req.id);
    });
    this.persist();
    return record;
  }

  private async stop(id: string, how: StopRequest): Promise<AgentProcess> {
    const record = this.known(id);
    const child = this.children.get(id);
    if (!record.running || !child) return record;
    const exited = new Promise<void>((resolve) => child.once('exit', () => setImmediate(resolve)));
    // The node's process group: anything it started goes with it.
    const signalGroup = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // Exited meanwhile.
      }
    };
    if (how.kill) signalGroup('SIGKILL');
    else {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), how.graceMs ?? 0);
      void exited.then(() => clearTimeout(timer));
    }
    await exited;
    return this.known(id);
  }

  private known(id: string): AgentProcess {
    const record = this.records.get(id);
    if (!record) throw new HttpError(404, `no process ${id} on ${this.opts.host}`);
    return record;
  }

  private update(record: AgentProcess, change: Partial<AgentProcess>): AgentProcess {
    Object.assign(record, change);
    this.persist();
    return record;
  }

  private persist(): void {
    writeFileSync(join(this.opts.dir, 'processes.json'), JSON.stringify([...this.records.values()], null, 2) + '\n');
  }
}

function parseStart(raw: unknown): StartRequest {
  const r = raw as Partial<StartRequest>;
  if (typeof r?.id !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(r.id))
    throw new HttpError(400, 'id must be a node id (lowercase letters, digits, dashes)');
  if (!(ROLE_NAMES as readonly string[]).includes(r.role as string)) throw new HttpError(400, `role must be one of ${ROLE_NAMES.join(', ')}`);
  for (const field of ['grpcPort', 'httpPort', 'restarts'] as const) {
    const v = r[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) throw new HttpError(400, `${field} must be a whole number from 0 to 65535`);
  }
  return r as StartRequest;
}

async function body(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  if (payload === undefined) return void res.writeHead(status).end();
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
}
