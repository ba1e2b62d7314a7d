import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CallOptions,
  type ChannelCredentials,
  credentials,
  makeGenericClientConstructor,
  type Metadata,
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { unaryCall } from '../../common/client/grpcCall';
import { openssl } from '../../common/tls/openssl';
import { echoService } from '../support/echoService';
import { runCli } from '../support/runCli';
import { outputDir } from '../support/testConsul';

describe('shoal certs create', function () {
  this.timeout(60_000);
  let dir: string;

  before(async function () {
    dir = mkdtempSync(join(outputDir('certs'), 'create-'));
    const made = await runCli(['certs', 'create', '--out', join(dir, 'cluster'), '--hosts', 'h1=10.78.0.11,db.example']);
    assert.equal(made.code, 0, made.stderr);
    const other = await runCli(['certs', 'create', '--out', join(dir, 'other')]);
    assert.equal(other.code, 0, other.stderr);
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string, ca = 'cluster') => join(dir, ca, name);
  const cert = (name: string) => new X509Certificate(readFileSync(file(`${name}.crt`)));

  it('makes a CA and, signed by it, a certificate per declared state node, and one for workers, control planes, clients, operators and Consul agents, with keys only the owner reads', function () {
    for (const name of ['primary', 'replica-1', 'replica-2', 'worker', 'control-plane', 'client', 'operator', 'consul-agent']) {
      assert.match(openssl(['verify', '-CAfile', file('ca.crt'), file(`${name}.crt`)]), /: OK/, name);
      assert.equal(statSync(file(`${name}.key`)).mode & 0o777, 0o600, `${name}.key is 0600`);
    }
    assert.equal(statSync(file('ca.key')).mode & 0o777, 0o600);
    assert.ok(!existsSync(file('worker-1.crt')), 'workers share the worker certificate: the autoscaler names new ones');
  });

  it('names each identity in a SPIFFE URI and gives servers the loopback and --hosts names and addresses', function () {
    const primary = cert('primary').subjectAltName ?? '';
    assert.match(primary, /URI:spiffe:\/\/shoal\/local\/node\/primary/);
    for (const san of ['DNS:localhost', 'DNS:h1', 'DNS:db.example', 'IP Address:127.0.0.1', 'IP Address:10.78.0.11'])
      assert.ok(primary.includes(san), `${san} in ${primary}`);
    assert.match(cert('worker').subjectAltName ?? '', /URI:spiffe:\/\/shoal\/local\/worker\/\*/);
    assert.equal(cert('consul-agent').subjectAltName, 'URI:spiffe://shoal/local/consul/*');
    assert.match(cert('control-plane').subjectAltName ?? '', /URI:spiffe:\/\/shoal\/local\/control-plane\/\*/);
    assert.equal(cert('operator').subjectAltName, 'URI:spiffe://shoal/local/operator/*', 'a client-only certificate names no host');
  });

  it('works for mutual TLS with grpc-js: a client certificate of the CA is let in and seen; none, or another CA’s, is refused at the handshake', async function () {
    const server = new Server();
    // The echo method answers with the caller's certificate identity instead of its request.
    server.addService(echoService, {
      echo: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) =>
        cb(null, Buffer.from(call.getAuthContext()?.sslPeerCertificate?.subjectaltname ?? '')),
    });
    const read = (name: string, ca = 'cluster') => readFileSync(file(name, ca));
    const serverCreds = ServerCredentials.createSsl(read('ca.crt'), [{ cert_chain: read('primary.crt'), private_key: read('primary.key') }], true);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', serverCreds, (err, p) => (err ? reject(err) : resolve(p))));
    const EchoClient = makeGenericClientConstructor(echoService, 'Echo');
    const call = (creds: ChannelCredentials, host = '127.0.0.1') => {
      const client = new EchoClient(`${host}:${port}`, creds);
      const echo = client.echo as (req: Buffer, m: Metadata, o: CallOptions, cb: (err: ServiceError | null, res: Buffer) => void) => unknown;
      return unaryCall<Buffer>((m, o, cb) => echo.call(client, Buffer.alloc(0), m, o, cb), Date.now() + 5000).finally(() => client.close());
    };
    try {
      const seen = await call(credentials.createSsl(read('ca.crt'), read('operator.key'), read('operator.crt')));
      assert.equal(seen.toString(), 'URI:spiffe://shoal/local/operator/*');
      await call(credentials.createSsl(read('ca.crt'), read('client.key'), read('client.crt')), 'localhost');

      const refused = async (what: string, creds: ChannelCredentials) => {
        const err = await call(creds).then(
          () => assert.fail(`${what} was let in`),
          (e: { code: number }) => e,
        );
        assert.equal(err.code, status.UNAVAILABLE, what);
      };
      await refused('a client without a certificate', credentials.createSsl(read('ca.crt')));
      await refused('a certificate of another CA', credentials.createSsl(read('ca.crt'), read('operator.key', 'other'), read('operator.crt', 'other')));
    } finally {
      server.forceShutdown();
    }
  });

  it('reuses the CA on a second run and issues every other certificate anew', async function () {
    const ca = readFileSync(file('ca.crt'));
    const serial = cert('primary').serialNumber;
    const again = await runCli(['certs', 'create', '--out', join(dir, 'cluster'), '--json']);
    assert.equal(again.code, 0, again.stderr);
    const out = JSON.parse(again.stdout) as { ca: { created: boolean }; certificates: { name: string }[] };
    assert.equal(out.ca.created, false);
    assert.equal(out.certificates.length, 8);
    assert.deepEqual(readFileSync(file('ca.crt')), ca, 'the CA is unchanged');
    assert.notEqual(cert('primary').serialNumber, serial, 'the primary has a new certificate');
    assert.match(openssl(['verify', '-CAfile', file('ca.crt'), file('primary.crt')]), /: OK/);
  });

  it('refuses bad input clearly and leaves what is there alone', async function () {
    const before = readFileSync(file('primary.crt'));
    for (const [args, message] of [
      [['--hosts', 'under_score'], /--hosts entry "under_score": "under_score" is neither a host name nor an IP address/],
      [['--days', '0'], /--days must be a whole number from 1 to 3650 \(got "0"\)/],
    ] as const) {
      const r = await runCli(['certs', 'create', '--out', join(dir, 'cluster'), ...args]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, message);
    }
    assert.deepEqual(readFileSync(file('primary.crt')), before);
    const noSub = await runCli(['certs']);
    assert.equal(noSub.code, 1);
    assert.match(noSub.stderr, /certs takes one subcommand, create/);
  });
});
