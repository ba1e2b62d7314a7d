import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NodeProcess } from '../support/nodeProcess';
import { startTestConsul, type TestConsul } from '../support/testConsul';

const run = promisify(execFile);
const BUF = join(__dirname, '..', '..', 'node_modules', '.bin', 'buf');

const EVERY_METHOD = [
  'grpc.health.v1.Health/Check',
  'grpc.health.v1.Health/List',
  'grpc.health.v1.Health/Watch',
  'shoal.v1.Discovery/GetMember',
  'shoal.v1.Discovery/GetNodeInfo',
  'shoal.v1.Discovery/ListMembers',
  'shoal.v1.Discovery/WatchMembers',
  'shoal.v1.Health/GetStatus',
  'shoal.v1.Health/StreamStatus',
];

// buf curl is an independent reflection client (like grpcurl). It runs from an empty directory:
// next to a buf.yaml it would read the local module instead of asking the server.
describe('gRPC server reflection, seen by buf curl', function () {
  let consul: TestConsul;
  let node: NodeProcess;
  let url: string;
  const cwd = mkdtempSync(join(tmpdir(), 'shoal-bufcurl-'));
  const bufCurl = async (protocol: string, ...args: string[]) =>
    (await run(BUF, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--reflect-protocol', protocol, ...args], { cwd, timeout: 20000 })).stdout;

  before(async function () {
    consul = await startTestConsul();
    node = NodeProcess.spawn({ role: 'replica', id: 'replica-1', consulAddress: consul.address, cluster: 'reflect' });
    url = `http://${(await node.serving()).grpc}`;
  });

  after(async function () {
    await node?.kill();
    await consul?.stop();
  });

  for (const protocol of ['grpc-v1', 'grpc-v1alpha']) {
    describe(`over reflection ${protocol}`, function () {
      it('lists every method of shoal.v1 and grpc.health.v1', async function () {
        const listed = (await bufCurl(protocol, '--list-methods', url)).trim().split('\n').sort();
        assert.deepEqual(listed, EVERY_METHOD);
      });

      it('calls a method of every service with JSON input', async function () {
        const info = JSON.parse(await bufCurl(protocol, '--data', '{}', `${url}/shoal.v1.Discovery/GetNodeInfo`)) as { node: { id: string; role: string } };
        assert.deepEqual([info.node.id, info.node.role], ['replica-1', 'NODE_ROLE_REPLICA']);
        const health = JSON.parse(await bufCurl(protocol, '--data', '{}', `${url}/shoal.v1.Health/GetStatus`)) as { ready: boolean; phase: string };
        assert.deepEqual([health.ready, health.phase], [true, 'SERVING_PHASE_SERVING']);
        const check = JSON.parse(await bufCurl(protocol, '--data', '{"service": ""}', `${url}/grpc.health.v1.Health/Check`)) as { status: string };
        assert.equal(check.status, 'SERVING');
      });

      it('rejects a field that the contract does not have, before calling', async function () {
        await assert.rejects(bufCurl(protocol, '--data', '{"no_such_field": 1}', `${url}/shoal.v1.Discovery/GetMember`), /no_such_field/);
      });
    });
  }
});
