import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepOutOfLogs, secretsInLogs } from '../support/secretScan';

describe('the scan of the logs for the secrets tests made', function () {
  let root: string;
  const keyBody = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj';

  beforeEach(function () {
    root = mkdtempSync(join(tmpdir(), 'shoal-scan-'));
    mkdirSync(join(root, 'tls'));
    writeFileSync(join(root, 'tls', 'operator.key'), `-----BEGIN PRIVATE KEY-----\n${keyBody}\n-----END PRIVATE KEY-----\n`);
    writeFileSync(join(root, 'consul.token'), 'a1b2c3d4-acl-secret\n');
    writeFileSync(join(root, 'cluster.json'), JSON.stringify({ controlPlane: { token: 'bearer-secret-123' } }));
    writeFileSync(join(root, 'clean.log'), '{"msg":"registered in Consul"}\n');
  });

  afterEach(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it('finds nothing in logs that hold no secret', function () {
    assert.deepEqual(secretsInLogs(root), []);
  });

  it('names the log and the secret for a private key, a token file, a config token and a registered one', function () {
    keepOutOfLogs('master-token-kept-in-memory');
    writeFileSync(join(root, 'node.log'), `${keyBody}\nAuthorization: a1b2c3d4-acl-secret\nbearer-secret-123\nmaster-token-kept-in-memory\n`);
    const finds = secretsInLogs(root).map((f) => f.replaceAll(root, '<root>'));
    assert.deepEqual(finds.sort(), [
      '<root>/node.log: a token of <root>/cluster.json',
      '<root>/node.log: a token the test made',
      '<root>/node.log: the private key <root>/tls/operator.key',
      '<root>/node.log: the token in <root>/consul.token',
    ]);
  });
});
