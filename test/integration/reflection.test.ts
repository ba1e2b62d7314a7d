import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { type ClientDuplexStream, credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
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
  'shoal.v1.Events/Ack',
  'shoal.v1.Events/AckBatch',
  'shoal.v1.Events/GetBacklog',
  'shoal.v1.Events/Lease',
  'shoal.v1.Events/ListDeadLetters',
  'shoal.v1.Events/Publish',
  'shoal.v1.Events/PublishBatch',
  'shoal.v1.Events/Redrive',
  'shoal.v1.Events/ReleaseWorker',
  'shoal.v1.Health/GetStatus',
  'shoal.v1.Health/StreamStatus',
  'shoal.v1.State/Delete',
  'shoal.v1.State/Get',
  'shoal.v1.State/List',
  'shoal.v1.State/Put',
  'shoal.v1.State/Watch',
  'shoal.v1.Sync/Fence',
  'shoal.v1.Sync/Follow',
  'shoal.v1.Sync/GetBucket',
  'shoal.v1.Sync/GetDigest',
  'shoal.v1.Sync/GetPosition',
  'shoal.v1.Sync/ListConflicts',
  'shoal.v1.Sync/Promote',
  'shoal.v1.Sync/Reconcile',
  'shoal.v1.Sync/Replicate',
];

// buf curl is an independent reflection client (like grpcurl). It runs from an empty directory:
// next to a buf.yaml it would read the local module instead of asking the server.
describe('gRPC server reflection, seen by buf curl', function () {
  let consul: TestConsul;
  let node: NodeProcess;
  let url: string;
  let cwd: string;
  const bufCurl = async (protocol: string, ...args: string[]) =>
    (await run(BUF, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--reflect-protocol', protocol, ...args], { cwd, timeout: 20000 })).stdout;

  before(async function () {
    cwd = mkdtempSync(join(tmpdir(), 'shoal-bufcurl-'));
    consul = await startTestConsul();
    node = NodeProcess.spawn({ role: 'replica', id: 'replica-1', consulAddress: consul.address, cluster: 'reflect' });
    url = `http://${(await node.serving()).grpc}`;
  });

  after(async function () {
    await node?.kill();
    await consul?.stop();
    rmSync(cwd, { recursive: true, force: true });
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
        // Events is the primary's; a replica answers with where the primary is.
        await assert.rejects(bufCurl(protocol, '--data', '{}', `${url}/shoal.v1.Events/GetBacklog`), /must go to the primary/);
      });

      it('rejects a field that the contract does not have, before calling', async function () {
        await assert.rejects(bufCurl(protocol, '--data', '{"no_such_field": 1}', `${url}/shoal.v1.Discovery/GetMember`), /no_such_field/);
      });
    });
  }
});

type ReflectionReply = { fileDescriptorResponse?: { fileDescriptorProto: Buffer[] }; errorResponse?: { errorCode: number; errorMessage: string } };
type ReflectionStream = ClientDuplexStream<{ fileContainingSymbol: string }, ReflectionReply>;

/** Asks a node's reflection service (v1 or v1alpha) for the files that define `symbol`. */
async function describeSymbol(address: string, version: 'v1' | 'v1alpha', symbol: string): Promise<FileDescriptorProto[]> {
  const protoFile = join(__dirname, '..', '..', 'node_modules', '@grpc', 'reflection', 'build', 'proto', 'grpc', 'reflection', version, 'reflection.proto');
  const pkg = loadPackageDefinition(loadSync(protoFile, { oneofs: true })) as unknown as {
    grpc: {
      reflection: Record<
        string,
        { ServerReflection: new (a: string, c: ReturnType<typeof credentials.createInsecure>) => { serverReflectionInfo(): ReflectionStream; close(): void } }
      >;
    };
  };
  const client = new pkg.grpc.reflection[version].ServerReflection(address, credentials.createInsecure());
  try {
    const reply = await new Promise<ReflectionReply>((resolve, reject) => {
      const stream = client.serverReflectionInfo();
      stream.once('data', (r: ReflectionReply) => (resolve(r), stream.end()));
      stream.once('error', reject);
      stream.write({ fileContainingSymbol: symbol });
    });
    if (!reply.fileDescriptorResponse) throw new Error(`reflection error: ${reply.errorResponse?.errorMessage}`);
    return reply.fileDescriptorResponse.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
  } finally {
    client.close();
  }
}

// What `grpcurl describe` does: fetch the file that defines a symbol and read its descriptors.
describe('gRPC server reflection, describing services and messages', function () {
  let consul: TestConsul;
  let node: NodeProcess;
  let address: string;

  before(async function () {
    consul = await startTestConsul();
    node = NodeProcess.spawn({ role: 'worker', id: 'worker-1', consulAddress: consul.address, cluster: 'describe' });
    address = (await node.serving()).grpc;
  });

  after(async function () {
    await node?.kill();
    await consul?.stop();
  });

  for (const version of ['v1', 'v1alpha'] as const) {
    it(`describes every shoal.v1 service, its methods and their messages over ${version}`, async function () {
      const expected: Record<string, string[]> = {
        'shoal.v1.Discovery': ['GetNodeInfo', 'ListMembers', 'GetMember', 'WatchMembers'],
        'shoal.v1.Health': ['GetStatus', 'StreamStatus'],
        'shoal.v1.State': ['Put', 'Get', 'Delete', 'List', 'Watch'],
        'shoal.v1.Sync': ['Replicate', 'GetPosition', 'Fence', 'Promote', 'Follow', 'Reconcile', 'GetDigest', 'GetBucket', 'ListConflicts'],
      };
      for (const [service, methods] of Object.entries(expected)) {
        const files = await describeSymbol(address, version, service);
        const all = files.flatMap((f) => f.service.map((s) => ({ pkg: f.package, s })));
        const found = all.find(({ pkg, s }) => `${pkg}.${s.name}` === service);
        assert.ok(found, `${service} is described`);
        assert.deepEqual(
          found.s.method.map((m) => m.name),
          methods,
        );
        const messages = new Map(files.flatMap((f) => f.messageType.map((m) => [`.${f.package}.${m.name}`, m])));
        for (const method of found.s.method) {
          assert.ok(messages.has(method.inputType), `${service}/${method.name} input ${method.inputType} is described`);
          assert.ok(messages.has(method.outputType), `${service}/${method.name} output ${method.outputType} is described`);
        }
      }
      const [sample] = (await describeSymbol(address, version, 'shoal.v1.StreamStatusResponse')).flatMap((f) =>
        f.messageType.filter((m) => m.name === 'StreamStatusResponse'),
      );
      assert.ok(sample.field.some((f) => f.name === 'event_loop_delay_p99_ms'));
    });
  }

  it('describes the standard grpc.health.v1.Health', async function () {
    const files = await describeSymbol(address, 'v1', 'grpc.health.v1.Health');
    const service = files.flatMap((f) => f.service).find((s) => s.name === 'Health');
    assert.deepEqual(service?.method.map((m) => m.name).sort(), ['Check', 'List', 'Watch']);
  });
});
