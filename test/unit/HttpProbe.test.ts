import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createProbeServer } from '../../common/http/createProbeServer';
import { waitFor } from '../../common/time/waitFor';
import { HttpProbe } from '../../control-plane/observe/HttpProbe';

describe('HttpProbe', function () {
  let server: Server;
  let address: string;
  let ready: boolean;
  let lines: { level: number; msg: string; node: string; endpoint: string }[];
  let probe: HttpProbe;
  let registry: Registry;

  beforeEach(async function () {
    ready = true;
    lines = [];
    registry = new Registry();
    server = createProbeServer({ live: () => ({}), ready: () => ({ ready }), registry: new Registry() });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async function () {
    await probe?.stop();
    server.closeAllConnections();
    server.close();
  });

  function startProbe(targets: () => { id: string; httpAddress: string }[], timeoutMs = 1000): void {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    probe = new HttpProbe({
      targets,
      endpoints: ['/health/live', '/health/ready'],
      intervalMs: 20,
      timeoutMs,
      logger: pino({ level: 'info' }, sink),
      registry,
    });
    probe.start();
  }

  const upOf = (node: string, endpoint: string) => probe.results.get(node)?.get(endpoint)?.up;

  it('probes each endpoint of each node, warns once when one starts failing and says when it recovers', async function () {
    startProbe(() => [{ id: 'replica-1', httpAddress: address }]);
    await waitFor('both endpoints up', () => upOf('replica-1', '/health/live') && upOf('replica-1', '/health/ready'), { timeoutMs: 5000, intervalMs: 10 });
    assert.match(await registry.metrics(), /shoal_control_plane_http_probe_up\{node="replica-1",endpoint="\/health\/ready"\} 1/);

    ready = false;
    await waitFor('/health/ready down', () => upOf('replica-1', '/health/ready') === false, { timeoutMs: 5000, intervalMs: 10 });
    assert.equal(probe.results.get('replica-1')?.get('/health/ready')?.detail, 'HTTP 503');
    assert.equal(upOf('replica-1', '/health/live'), true);
    assert.match(await registry.metrics(), /shoal_control_plane_http_probe_up\{node="replica-1",endpoint="\/health\/ready"\} 0/);

    ready = true;
    await waitFor('/health/ready up again', () => upOf('replica-1', '/health/ready'), { timeoutMs: 5000, intervalMs: 10 });
    const told = lines.filter((l) => l.node === 'replica-1').map((l) => [l.level, l.msg, l.endpoint]);
    assert.deepEqual(told, [
      [40, 'HTTP health probe failing', '/health/ready'],
      [30, 'HTTP health probe passing again', '/health/ready'],
    ]);
  });

  it('counts a node that does not answer as failing, skips one with no HTTP port, and forgets one that left', async function () {
    const closed = createProbeServer({ live: () => ({}), ready: () => ({ ready: true }), registry: new Registry() });
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const gone = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    closed.close();
    let targets = [
      { id: 'worker-1', httpAddress: gone },
      { id: 'worker-2', httpAddress: '' },
      { id: 'primary', httpAddress: address },
    ];
    startProbe(() => targets);
    await waitFor('worker-1 failing', () => upOf('worker-1', '/health/live') === false && upOf('primary', '/health/live'), { timeoutMs: 5000, intervalMs: 10 });
    assert.match(probe.results.get('worker-1')?.get('/health/live')?.detail ?? '', /ECONNREFUSED/);
    assert.equal(probe.results.has('worker-2'), false);
    assert.equal(lines.filter((l) => l.node === 'worker-1' && l.level === 40).length, 2, 'one warning per endpoint');

    targets = [{ id: 'primary', httpAddress: address }];
    await waitFor('worker-1 forgotten', () => !probe.results.has('worker-1'), { timeoutMs: 5000, intervalMs: 10 });
    assert.doesNotMatch(await registry.metrics(), /worker-1/);
  });

  it('gives up on a request after the timeout', async function () {
    // A server that accepts and never answers.
    const silent = createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      startProbe(() => [{ id: 'primary', httpAddress: `127.0.0.1:${(silent.address() as AddressInfo).port}` }], 50);
      await waitFor('a timed-out probe', () => probe.results.get('primary')?.get('/health/live'), { timeoutMs: 5000, intervalMs: 10 });
      assert.deepEqual(probe.results.get('primary')?.get('/health/live'), { up: false, detail: 'timed out after 50 ms' });
    } finally {
      await probe.stop();
      silent.closeAllConnections();
      silent.close();
    }
  });
});
