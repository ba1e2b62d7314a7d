import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, credentials, Metadata, Server, type ServiceDefinition, type ServiceError, status } from '@grpc/grpc-js';
import pino from 'pino';
import { service as standardHealthService } from 'grpc-health-check';
import { DiscoveryService } from '../../gen/shoal/v1/discovery';
import { EventsService } from '../../gen/shoal/v1/events';
import { HealthService } from '../../gen/shoal/v1/health';
import { ScaleService } from '../../gen/shoal/v1/scale';
import { StateService } from '../../gen/shoal/v1/state';
import { SyncService } from '../../gen/shoal/v1/sync';
import { parseClusterConfig } from '../../common/config/clusterConfig';
import { REPO_ROOT } from '../../common/paths';
import { authorizeCalls } from '../../common/grpc/authorizeCalls';
import { issueClusterCertificates } from '../../common/tls/clusterCertificates';
import { permissionFor } from '../../common/tls/permissions';
import { TransportSecurity } from '../../common/tls/TransportSecurity';

const SERVICES: ServiceDefinition[] = [DiscoveryService, HealthService, StateService, SyncService, EventsService, ScaleService, standardHealthService];
const LOOPBACK = { dns: ['localhost'], ips: ['127.0.0.1', '::1'] };

/**
 * What each certificate may call, written out here rather than read from the table: a method
 * is `Service/Method`, or `Service/*` for all of a service's methods.
 */
const READS = [
  'Discovery/*',
  'Health/*',
  'health.v1.Health/*',
  'State/Get',
  'State/List',
  'State/Watch',
  'Events/GetBacklog',
  'Events/ListDeadLetters',
  'Sync/ListConflicts',
  'Scale/GetTopology',
  'Scale/WatchEvents',
  'Scale/WatchCluster',
  'Scale/GetPolicy',
];
const WRITES = ['State/Put', 'State/Delete', 'Events/Publish', 'Events/PublishBatch'];
const WORK = ['Events/Lease', 'Events/Ack', 'Events/AckBatch', 'Events/ReleaseWorker'];
const ROLE_CHANGES = ['Sync/GetPosition', 'Sync/Fence', 'Sync/Promote', 'Sync/Follow'];
const MAY: Record<string, string[]> = {
  node: [...READS, 'Sync/*'],
  worker: [...READS, ...WRITES, ...WORK],
  'control-plane': [...READS, ...WORK, 'Events/Redrive', ...ROLE_CHANGES, 'Scale/*'],
  client: [...READS, ...WRITES],
  operator: [...READS, ...WRITES, 'Events/Redrive', ...ROLE_CHANGES, 'Scale/*'],
  consul: ['health.v1.Health/*'],
};
const CERT_OF_KIND: Record<string, string> = {
  node: 'replica-1',
  worker: 'worker',
  'control-plane': 'control-plane',
  client: 'client',
  operator: 'operator',
  consul: 'consul-agent',
};

function allowedByHand(kind: string, path: string): boolean {
  const [, service, method] = path.split('/');
  const short = service.replace(/^shoal\.v1\./, '').replace(/^grpc\./, '');
  return MAY[kind].includes(`${short}/*`) || MAY[kind].includes(`${short}/${method}`);
}

/** Every handler answers NOT_FOUND "reached": a call that gets that was let through. */
function reachedHandlers(definition: ServiceDefinition): Record<string, (...args: unknown[]) => void> {
  const reached = { code: status.NOT_FOUND, details: 'reached the handler' };
  return Object.fromEntries(
    Object.entries(definition).map(([name, m]) => [
      name,
      m.responseStream || m.requestStream
        ? (call: unknown) => (call as { emit(e: string, v: unknown): void }).emit('error', reached)
        : (_call: unknown, cb: unknown) => (cb as (e: unknown) => void)(reached),
    ]),
  );
}

/** One call of any kind with an empty request; resolves with the status it ended with. */
function callStatus(client: Client, path: string, m: { requestStream: boolean; responseStream: boolean }): Promise<{ code: number; details: string }> {
  const raw = (b: Buffer) => b;
  const options = { deadline: Date.now() + 5000 };
  return new Promise((resolve) => {
    const done = (err: ServiceError | null) => resolve({ code: err?.code ?? status.OK, details: err?.details ?? '' });
    if (!m.requestStream && !m.responseStream) client.makeUnaryRequest(path, raw, raw, Buffer.alloc(0), new Metadata(), options, done);
    else if (!m.requestStream)
      client
        .makeServerStreamRequest(path, raw, raw, Buffer.alloc(0), new Metadata(), options)
        .on('error', done)
        .on('data', () => undefined);
    else if (!m.responseStream) client.makeClientStreamRequest(path, raw, raw, new Metadata(), options, done).end();
    else
      client
        .makeBidiStreamRequest(path, raw, raw, new Metadata(), options)
        .on('error', done)
        .on('data', () => undefined);
  });
}

describe('permissions per RPC, from the caller’s certificate (mutual TLS, in-process)', function () {
  this.timeout(60_000);
  let dir: string;
  let server: Server;
  let address: string;
  const tlsFor = (certs: string) => ({
    caFile: join(certs, 'ca.crt'),
    certFile: join(certs, '{name}.crt'),
    keyFile: join(certs, '{name}.key'),
    reloadInterval: 10_000,
  });

  before(async function () {
    mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true });
    dir = mkdtempSync(join(REPO_ROOT, 'test-output', 'permissions-'));
    issueClusterCertificates(parseClusterConfig({}), join(dir, 'local'), 1, LOOPBACK, () => undefined);
    // Another cluster's certificates from the same CA.
    mkdirSync(join(dir, 'other'));
    for (const f of ['ca.crt', 'ca.key']) copyFileSync(join(dir, 'local', f), join(dir, 'other', f));
    issueClusterCertificates(parseClusterConfig({ name: 'other' }), join(dir, 'other'), 1, LOOPBACK, () => undefined);

    server = new Server({ interceptors: [authorizeCalls({ cluster: 'local', logger: pino({ level: 'silent' }) })] });
    for (const definition of SERVICES) server.addService(definition, reachedHandlers(definition));
    const transport = TransportSecurity.of(tlsFor(join(dir, 'local')), 'primary');
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', transport.server(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });

  after(function () {
    server?.forceShutdown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names a permission for every method of every service a node or control plane serves, reflection included', function () {
    for (const definition of SERVICES) for (const m of Object.values(definition)) assert.ok(permissionFor(m.path), `${m.path} has a permission`);
    assert.equal(permissionFor('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo'), 'read');
    assert.equal(permissionFor('/shoal.v1.Sync/NoSuchMethod'), undefined);
  });

  for (const kind of Object.keys(MAY)) {
    it(`lets ${kind === 'operator' ? 'an' : 'a'} ${kind} certificate make exactly its calls, and refuses the rest PERMISSION_DENIED naming the permission`, async function () {
      const channel = TransportSecurity.of(tlsFor(join(dir, 'local')), CERT_OF_KIND[kind]).channel();
      const client = new Client(address, channel);
      try {
        for (const definition of SERVICES) {
          for (const m of Object.values(definition)) {
            const got = await callStatus(client, m.path, m);
            if (allowedByHand(kind, m.path)) {
              assert.deepEqual(got, { code: status.NOT_FOUND, details: 'reached the handler' }, `${kind} may call ${m.path}`);
            } else {
              assert.equal(got.code, status.PERMISSION_DENIED, `${kind} may not call ${m.path}: ${got.details}`);
              assert.match(
                got.details,
                new RegExp(`^${m.path} needs permission ${permissionFor(m.path)} \\(held by [^)]+\\); the caller spiffe://shoal/local/${kind}/`),
              );
            }
          }
        }
      } finally {
        client.close();
      }
    });
  }

  it('refuses a certificate of another cluster (same CA) on every call, naming both clusters', async function () {
    const client = new Client(address, TransportSecurity.of(tlsFor(join(dir, 'other')), 'operator').channel());
    try {
      const got = await callStatus(client, '/shoal.v1.Discovery/ListMembers', { requestStream: false, responseStream: false });
      assert.equal(got.code, status.PERMISSION_DENIED);
      assert.match(got.details, /the caller's certificate \(spiffe:\/\/shoal\/other\/operator\/\*\) is for cluster other, not local/);
    } finally {
      client.close();
    }
  });

  it('refuses at the handshake a client with no certificate, and one whose certificate another CA signed', async function () {
    const ca = readFileSync(join(dir, 'local', 'ca.crt'));
    const strangerDir = join(dir, 'stranger');
    issueClusterCertificates(parseClusterConfig({}), strangerDir, 1, LOOPBACK, () => undefined);
    for (const [what, channel] of [
      ['no certificate', credentials.createSsl(ca)],
      ['another CA', credentials.createSsl(ca, readFileSync(join(strangerDir, 'operator.key')), readFileSync(join(strangerDir, 'operator.crt')))],
    ] as const) {
      const client = new Client(address, channel);
      try {
        const got = await callStatus(client, '/shoal.v1.Discovery/ListMembers', { requestStream: false, responseStream: false });
        assert.equal(got.code, status.UNAVAILABLE, `${what}: ${got.details}`);
      } finally {
        client.close();
      }
    }
  });
});
