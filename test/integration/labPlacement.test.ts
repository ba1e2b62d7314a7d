import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import pino from 'pino';
import { type AgentProcess, HOST_AGENT_PATH, type StartRequest } from '../../common/lab/hostAgentProtocol';
import { waitFor } from '../../common/time/waitFor';
import { LabPlacement } from '../../control-plane/placement/LabPlacement';
import type { DeclaredNode } from '../../control-plane/reconcile/declaredNodes';

// LabPlacement against PROTOCOL FAKES: small in-test HTTP servers that speak the host agent's
// wire contract (common/lab/hostAgentProtocol.ts) and start no process. They prove the
// placement's knowledge and host choice over real sockets; the proof across real hosts is the
// lab's own tests (lab/agent/ and the lab scenarios).

/** One fake host agent: its processes in memory; `silent` makes it accept and never answer. */
class FakeAgent {
  readonly processes = new Map<string, AgentProcess>();
  silent = false;
  readonly calls: string[] = [];
  private readonly server: Server;
  address = '';

  constructor(readonly host: string) {
    this.server = createServer((req, res) => {
      if (this.silent) return;
      void body(req).then((text) => {
        const answer = this.handle(req.method ?? '', req.url ?? '', text ? (JSON.parse(text) as unknown) : undefined);
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.address = `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(method: string, url: string, request: unknown): { status: number; body?: unknown } {
    const id = decodeURIComponent(url.slice(HOST_AGENT_PATH.length + 1).replace(/\/stop$/, ''));
    if (method !== 'GET') this.calls.push(`${method} ${url}`);
    if (method === 'GET') return { status: 200, body: { host: this.host, processes: [...this.processes.values()] } };
    if (method === 'POST' && url === HOST_AGENT_PATH) {
      const start = request as StartRequest;
      if (this.processes.get(start.id)?.running) return { status: 409, body: { error: `${start.id} runs already` } };
      const p: AgentProcess = {
        id: start.id,
        role: start.role,
        host: this.host,
        pid: 4000 + this.processes.size,
        running: true,
        grpcAddress: `10.0.0.${this.host.slice(1)}:${start.grpcPort}`,
        grpcPort: start.grpcPort,
        httpPort: start.httpPort,
        log: `/tmp/${start.id}.log`,
        startedAtMs: Date.now(),
        restarts: start.restarts,
        drained: false,
      };
      this.processes.set(p.id, p);
      return { status: 201, body: p };
    }
    const p = this.processes.get(id);
    if (!p) return { status: 404, body: { error: `no process ${id}` } };
    if (method === 'POST') {
      p.running = false;
      p.exitedAtMs = Date.now();
      return { status: 200, body: p };
    }
    if (method === 'DELETE') {
      if (p.running) return { status: 409, body: { error: `${id} runs` } };
      this.processes.delete(id);
      return { status: 204 };
    }
    return { status: 400, body: { error: 'unexpected request' } };
  }
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => resolve(text));
  });
}

const node = (id: string, role: DeclaredNode['role'], hosts: string[] = []): DeclaredNode => ({ id, role, basePort: 8080, baseHttpPort: 9080, hosts });

describe('LabPlacement (against host-agent protocol fakes)', function () {
  this.timeout(20_000);
  let agents: FakeAgent[];
  let placement: LabPlacement;

  beforeEach(async function () {
    agents = ['h1', 'h2', 'h3'].map((h) => new FakeAgent(h));
    await Promise.all(agents.map((a) => a.listen()));
    placement = new LabPlacement({
      agents: Object.fromEntries(agents.map((a) => [a.host, a.address])),
      logger: pino({ level: 'silent' }),
      onChange: () => undefined,
      pollIntervalMs: 50,
      pollTimeoutMs: 200,
    });
    await placement.follow();
  });

  afterEach(async function () {
    await placement.close();
    await Promise.all(agents.map((a) => a.close()));
  });

  it('spreads state nodes over hosts and records where each runs, at the address its host gives', async function () {
    const p = await placement.start(node('primary', 'primary'), 0);
    const r1 = await placement.start(node('replica-1', 'replica'), 0);
    const r2 = await placement.start(node('replica-2', 'replica'), 0);
    assert.deepEqual(new Set([p.host, r1.host, r2.host]).size, 3);
    assert.equal(p.grpcAddress, `10.0.0.${p.host.slice(1)}:8080`);
    const known = placement.knowledge('replica-1');
    assert.equal(known.state, 'running');
    assert.equal(known.record?.host, r1.host);
    assert.deepEqual(placement.knowledge('worker-9'), { state: 'stopped', record: undefined });
  });

  it('makes what an agent that does not answer last listed unknown, and never starts it elsewhere meanwhile', async function () {
    const w = await placement.start(node('worker-1', 'worker'), 0);
    const agent = agents.find((a) => a.host === w.host)!;
    agent.silent = true;
    await waitFor('worker-1 to be unknown', () => placement.knowledge('worker-1').state === 'unknown', { timeoutMs: 5000, intervalMs: 20 });
    const known = placement.knowledge('worker-1');
    assert.match(known.state === 'unknown' ? known.reason : '', new RegExp(`${w.host} cannot be reached: its agent did not answer within 200 ms`));
    await assert.rejects(placement.start(node('worker-1', 'worker'), 1), /may run already/);
    // A new worker goes to a host that answers.
    const other = await placement.start(node('worker-2', 'worker'), 0);
    assert.notEqual(other.host, w.host);
  });

  it('kills and forgets an abandoned node once its host answers again', async function () {
    const w = await placement.start(node('worker-1', 'worker'), 0);
    const agent = agents.find((a) => a.host === w.host)!;
    agent.silent = true;
    await waitFor('worker-1 to be unknown', () => placement.knowledge('worker-1').state === 'unknown', { timeoutMs: 5000, intervalMs: 20 });
    placement.abandon('worker-1');
    assert.equal(placement.knowledge('worker-1').state, 'stopped');
    agent.silent = false;
    await waitFor('worker-1 to be reaped on its host', () => !agent.processes.has('worker-1'), { timeoutMs: 5000, intervalMs: 20 });
    assert.deepEqual(agent.calls.filter((c) => c.includes('worker-1')).slice(-2), [
      `POST ${HOST_AGENT_PATH}/worker-1/stop`,
      `DELETE ${HOST_AGENT_PATH}/worker-1`,
    ]);
  });

  it('restarts a node on the host where it is known stopped, and resolves its exit', async function () {
    const r = await placement.start(node('replica-1', 'replica'), 0);
    await placement.stop('replica-1', 'kill');
    await r.exited;
    assert.equal(placement.knowledge('replica-1').state, 'stopped');
    const again = await placement.start(node('replica-1', 'replica'), 1);
    assert.equal(again.host, r.host);
  });
});
