import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { parseClusterConfig } from '../../common/config/clusterConfig';
import { REPO_ROOT } from '../../common/paths';
import { issueClusterCertificates } from '../../common/tls/clusterCertificates';
import { ReloadingCertificates } from '../../common/tls/ReloadingCertificates';

const LOOPBACK = { dns: ['localhost'], ips: ['127.0.0.1'] };

// The files a running process reads again: only a whole, checked set replaces what it serves.
describe('TLS files read again while a process runs (openssl-made certificates)', function () {
  this.timeout(30_000);
  let dir: string;
  const config = parseClusterConfig({});

  beforeEach(function () {
    mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true });
    dir = mkdtempSync(join(REPO_ROOT, 'test-output', 'reload-'));
    issueClusterCertificates(config, join(dir, 'live'), 1, LOOPBACK, () => undefined);
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const files = (d = 'live') => ({ caFile: join(dir, d, 'ca.crt'), certFile: join(dir, d, 'primary.crt'), keyFile: join(dir, d, 'primary.key') });
  const recorder = () => {
    const lines: { level: number; msg: string; problem?: string }[] = [];
    return { lines, logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as (typeof lines)[number]) }) };
  };
  const identityUpdates = (certs: ReloadingCertificates) => {
    const seen: Buffer[] = [];
    certs.addIdentityCertificateListener((u) => u && seen.push(u.certificate));
    return seen;
  };

  it('fails at start naming the field whose file is missing, is not PEM, is not the key of the certificate, or is not signed by the CA', function () {
    issueClusterCertificates(config, join(dir, 'stranger'), 1, LOOPBACK, () => undefined);
    const cases: [Partial<ReturnType<typeof files>>, RegExp][] = [
      [{ certFile: join(dir, 'live', 'nope.crt') }, /invalid config: tls\.certFile cannot be read: ENOENT \(.*nope\.crt\)/],
      [{ caFile: join(dir, 'live', 'primary.key') }, /invalid config: tls\.caFile is not a PEM certificate/],
      [{ keyFile: join(dir, 'live', 'replica-1.key') }, /invalid config: tls\.keyFile is not the key of .*primary\.crt/],
      [
        { certFile: join(dir, 'stranger', 'primary.crt'), keyFile: join(dir, 'stranger', 'primary.key') },
        /invalid config: tls\.certFile is not signed by the CA in .*live\/ca\.crt/,
      ],
    ];
    for (const [override, message] of cases) assert.throws(() => new ReloadingCertificates({ ...files(), ...override }, 60_000), message);
  });

  it('takes a renewed set and tells the listeners; a half-written one (new key, old certificate) is kept out and logged once', async function () {
    const { lines, logger } = recorder();
    const certs = new ReloadingCertificates(files(), 60_000, logger);
    const seen = identityUpdates(certs);
    const first = certs.material.cert;
    await new Promise(setImmediate);
    assert.deepEqual(seen, [first], 'a new listener hears the set in use');

    // Renewed elsewhere, then copied in one file at a time, as a careless rotation would.
    issueClusterCertificates(config, join(dir, 'next'), 1, LOOPBACK, () => undefined);
    copyFileSync(join(dir, 'next', 'primary.key'), join(dir, 'live', 'primary.key'));
    certs.reload();
    certs.reload();
    assert.deepEqual(certs.material.cert, first, 'the half-written set is not taken');
    const refused = lines.filter((l) => l.msg === 'new TLS files not taken; still using the last good certificate');
    assert.equal(refused.length, 1, 'said once, not at every reload');
    assert.match(refused[0].problem ?? '', /tls\.keyFile: is not the key of/);

    // A whole renewed set from the same CA, as shoal certs create writes it.
    issueClusterCertificates(config, join(dir, 'live'), 1, LOOPBACK, () => undefined);
    certs.reload();
    assert.notDeepEqual(certs.material.cert, first, 'the renewed set is taken');
    assert.ok(lines.some((l) => l.msg === 'took new TLS certificates'));
    assert.deepEqual(seen, [first, certs.material.cert], 'the renewal is told; the refused set was not');
  });
});
