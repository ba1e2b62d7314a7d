import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { StateClient } from '../../common/client/StateClient';
import { clusterMembers } from '../../common/cluster/memberFromConsul';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';
import { ConsulApi } from '../../common/consul/ConsulApi';
import { RunDir } from '../../common/local/RunDir';
import { freePort } from '../../common/net/freePort';
import { REPO_ROOT } from '../../common/paths';
import { openssl } from '../../common/tls/openssl';
import { TransportSecurity } from '../../common/tls/TransportSecurity';
import { waitFor } from '../../common/time/waitFor';
import { writeEphemeralClusterConfig } from '../support/ephemeralClusterConfig';
import { trackRunDir } from '../support/processRegistry';
import { runCli } from '../support/runCli';
import { outputDir } from '../support/testConsul';

const run = promisify(execFile);

/** A certificate of the cluster's CA that expired in 2020 (openssl ca takes explicit dates). */
function expiredOperatorCertificate(certs: string, dir: string): { cert: Buffer; key: Buffer } {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    `[ca]\ndefault_ca = d\n[d]\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}\nserial = ${dir}/serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n`,
  );
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=URI:spiffe://shoal/tlstest/operator/*\nextendedKeyUsage=clientAuth\n');
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'op.key'),
    '-out',
    join(dir, 'op.csr'),
    '-subj',
    '/CN=expired',
  ]);
  openssl(['ca', '-batch', '-config', join(dir, 'ca.cnf'), '-cert', join(certs, 'ca.crt'), '-keyfile', join(certs, 'ca.key'), '-in', join(dir, 'op.csr'), '-out', join(dir, 'op.crt'), '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-extfile', join(dir, 'ext.cnf'), '-notext']); // prettier-ignore
  return { cert: readFileSync(join(dir, 'op.crt')), key: readFileSync(join(dir, 'op.key')) };
}

/** The serial of the certificate a server presents on a new connection. */
function servedSerial(address: string, certs: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port: Number(port),
      servername: 'localhost',
      ALPNProtocols: ['h2'],
      ca: readFileSync(join(certs, 'ca.crt')),
      cert: readFileSync(join(certs, 'operator.crt')),
      key: readFileSync(join(certs, 'operator.key')),
    });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

const serialOf = (file: string) => new X509Certificate(readFileSync(file)).serialNumber;

function unary(client: Client, path: string): Promise<{ code: number; details: string }> {
  const raw = (b: Buffer) => b;
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, raw, raw, Buffer.alloc(0), new Metadata(), { deadline: Date.now() + 5000 }, (err: ServiceError | null) =>
      resolve({ code: err?.code ?? status.OK, details: err?.details ?? '' }),
    ),
  );
}

describe('a local cluster with mutual TLS (`shoal up --tls`, real processes)', function () {
  this.timeout(180_000);
  let env: NodeJS.ProcessEnv;
  let runDir: RunDir;
  let declared: string;
  let up: { code: number; stdout: string; stderr: string };
  const certs = () => join(runDir.path, 'certs');

  before(async function () {
    const dir = outputDir('tls-cluster');
    runDir = new RunDir(join(dir, 'run'));
    trackRunDir(runDir.path);
    declared = writeEphemeralClusterConfig(join(dir, 'cluster.json'), 'tlstest', { workers: 1 });
    env = { CONSUL_HTTP_ADDR: `127.0.0.1:${await freePort()}`, SHOAL_RUN_DIR: runDir.path };
    up = await runCli(['up', '--tls', '--config', declared, '--timeout', '120000', '--dashboard-port', '0'], env, 150_000);
    env.SHOAL_CONFIG = join(runDir.path, 'cluster.json');
  });

  after(async function () {
    await runCli(['down', '--timeout', '3000'], env);
  });

  const nodes = async () => clusterMembers(new ConsulApi(env.CONSUL_HTTP_ADDR!), 'tlstest');

  it('runs every process with TLS: the nodes pass Consul checks made over TLS, and up prints the grpcurl and buf curl flags that work', async function () {
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(up.stdout, /Cluster "tlstest" is up: 4 nodes healthy/);
    const c = certs();
    assert.match(up.stdout, new RegExp(`grpcurl: {4}grpcurl -cacert ${c}/ca\\.crt -cert ${c}/operator\\.crt -key ${c}/operator\\.key localhost:\\d+ list`));
    assert.match(up.stdout, new RegExp(`CLI: {8}export SHOAL_CONFIG=${env.SHOAL_CONFIG}`));
    const printed = /^buf curl: {3}npx buf curl (.*) (https:\/\/localhost:\d+)\/shoal\.v1\.Discovery\/ListMembers$/m.exec(up.stdout);
    assert.ok(printed, up.stdout);
    const flags = printed[1].split(' ');
    const buf = (args: string[]) => run(join(REPO_ROOT, 'node_modules', '.bin', 'buf'), ['curl', ...flags, ...args], { timeout: 30_000 });
    const listed = (await buf(['--list-services', printed[2]])).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(listed, ['grpc.health.v1.Health', 'shoal.v1.Discovery', 'shoal.v1.Events', 'shoal.v1.Health', 'shoal.v1.State', 'shoal.v1.Sync']);
    // A call of each service (each one's read), as an operator would try them.
    const calls = [
      'shoal.v1.Discovery/ListMembers',
      'shoal.v1.Health/GetStatus',
      'shoal.v1.State/List',
      'shoal.v1.Events/GetBacklog',
      'shoal.v1.Sync/ListConflicts',
      'grpc.health.v1.Health/Check',
    ];
    for (const method of calls) {
      const { stdout } = await buf(['--data', '{}', `${printed[2]}/${method}`]);
      assert.ok(JSON.parse(stdout), `${method} answered JSON`);
    }
  });

  it('the CLI works with the config up wrote (SHOAL_CONFIG), and without it says where TLS comes from', async function () {
    const put = await runCli(['put', 'tls/k', 'v1'], env);
    assert.equal(put.code, 0, put.stderr);
    const got = await runCli(['get', 'tls/k'], env);
    assert.equal(got.stdout.split('\n')[0], 'v1', got.stderr);
    const plain = await runCli(['get', 'tls/k', '--cluster', 'tlstest'], { ...env, SHOAL_CONFIG: '' });
    assert.equal(plain.code, 1);
    assert.match(
      plain.stderr,
      /UNAVAILABLE: No connection established.*\(if the cluster runs with TLS, the CLI needs its config with the tls section: --config FILE or SHOAL_CONFIG\)/,
    );
  });

  it('refuses a caller with no certificate, another CA’s or an expired one at the handshake, and a worker’s Sync.Promote with PERMISSION_DENIED', async function () {
    const primary = (await nodes()).find((m) => m.id === 'primary')!;
    const ca = readFileSync(join(certs(), 'ca.crt'));
    const stranger = join(runDir.path, 'stranger');
    const other = await runCli(['certs', 'create', '--out', stranger, '--config', declared]);
    assert.equal(other.code, 0, other.stderr);
    const expired = expiredOperatorCertificate(certs(), join(runDir.path, 'expired'));
    for (const [what, channel] of [
      ['no certificate', credentials.createSsl(ca)],
      ['another CA', credentials.createSsl(ca, readFileSync(join(stranger, 'operator.key')), readFileSync(join(stranger, 'operator.crt')))],
      ['an expired certificate', credentials.createSsl(ca, expired.key, expired.cert)],
    ] as const) {
      const client = new Client(primary.grpcAddress, channel);
      const got = await unary(client, '/shoal.v1.Discovery/ListMembers');
      client.close();
      assert.equal(got.code, status.UNAVAILABLE, `${what}: ${got.details}`);
    }
    const worker = new Client(primary.grpcAddress, TransportSecurity.of(loadClusterConfig(env.SHOAL_CONFIG).tls, 'worker').channel());
    const promote = await unary(worker, '/shoal.v1.Sync/Promote');
    worker.close();
    assert.equal(promote.code, status.PERMISSION_DENIED);
    assert.match(
      promote.details,
      /\/shoal\.v1\.Sync\/Promote needs permission sync\.role-change \(held by node, control-plane, operator\); the caller spiffe:\/\/shoal\/tlstest\/worker\/\*/,
    );
  });

  it('takes renewed certificates without a restart: every node serves the new one on new connections, and no write fails meanwhile', async function () {
    const state = new StateClient({
      consul: new ConsulApi(env.CONSUL_HTTP_ADDR!),
      cluster: 'tlstest',
      credentials: TransportSecurity.of(loadClusterConfig(env.SHOAL_CONFIG).tls, 'operator').channel(),
    });
    const failures: string[] = [];
    let written = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await state.put(`tls/rotation/${written}`, Buffer.from(String(written))).then(
          () => written++,
          (err: Error) => failures.push(err.message),
        );
      }
    })();
    try {
      const members = await nodes();
      const before = new Map(await Promise.all(members.map(async (m) => [m.id, await servedSerial(m.grpcAddress, certs())] as const)));
      const renewed = await runCli(['certs', 'create', '--out', certs(), '--config', declared]);
      assert.equal(renewed.code, 0, renewed.stderr);
      for (const m of members) {
        const wanted = serialOf(join(certs(), `${m.id.startsWith('worker') ? 'worker' : m.id}.crt`));
        assert.notEqual(wanted, before.get(m.id));
        await waitFor(`${m.id} to serve its renewed certificate`, async () => (await servedSerial(m.grpcAddress, certs())) === wanted, {
          timeoutMs: 30_000,
          intervalMs: 250,
        });
      }
      const afterRotation = written;
      await waitFor('writes after every node took its new certificate', () => written >= afterRotation + 20, { timeoutMs: 20_000, intervalMs: 50 });
    } finally {
      writing = false;
      await writer;
      state.close();
    }
    assert.deepEqual(failures, [], 'no write failed during the rotation');
    for (const id of ['primary', 'replica-1']) {
      assert.match(readFileSync(join(runDir.logsDir, `${id}.log`), 'utf8'), /took new TLS certificates/, `${id} logged the reload`);
    }
  });
});
