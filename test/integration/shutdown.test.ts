import assert from 'node:assert/strict';
import { credentials, loadPackageDefinition, status, type ServiceError, type ClientReadableStream } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { waitFor } from '../../common/time/waitFor';
import { NodeProcess } from '../support/nodeProcess';
import { clientsFor } from '../support/grpcClients';
import { startTestConsul, type TestConsul } from '../support/testConsul';

// A client for the standard health service, from the vendored proto, as Kubernetes would use.
const healthProto = loadPackageDefinition(
  loadSync(join(__dirname, '..', '..', 'proto', 'grpc', 'health', 'v1', 'health.proto'), { enums: String }),
) as unknown as {
  grpc: { health: { v1: { Health: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => StandardHealthClient } } };
};
interface StandardHealthClient {
  watch(req: { service: string }): ClientReadableStream<{ status: string }>;
  close(): void;
}

describe('graceful shutdown of a node on SIGTERM', function () {
  let consul: TestConsul;
  let node: NodeProcess;
  let grpcAddress: string;

  before(async function () {
    consul = await startTestConsul();
    node = NodeProcess.spawn({ role: 'primary', consulAddress: consul.address, cluster: 'drain' });
    ({ grpc: grpcAddress } = await node.serving());
    await consul.waitForPassing('shoal-drain', 1);
  });

  after(async function () {
    await node?.kill();
    await consul?.stop();
  });

  it('reports SERVING then NOT_SERVING on grpc.health.v1 Watch, ends open streams with UNAVAILABLE, deregisters and exits 0', async function () {
    const standard = new healthProto.grpc.health.v1.Health(grpcAddress, credentials.createInsecure());
    const statuses: string[] = [];
    const watch = standard.watch({ service: '' });
    watch.on('data', (m: { status: string }) => statuses.push(m.status));
    const watchEnd = new Promise<ServiceError>((resolve) => watch.on('error', resolve));

    const c = clientsFor(grpcAddress);
    const samples = c.health.streamStatus({ periodMs: 200 });
    samples.on('data', () => undefined);
    const samplesEnd = new Promise<ServiceError>((resolve) => samples.on('error', resolve));

    await waitFor('SERVING', () => statuses.includes('SERVING'), { timeoutMs: 5000 });
    node.signal('SIGTERM');

    const watchError = await watchEnd;
    assert.deepEqual(statuses, ['SERVING', 'NOT_SERVING']);
    assert.equal(watchError.code, status.UNAVAILABLE);
    const samplesError = await samplesEnd;
    assert.equal(samplesError.code, status.UNAVAILABLE);
    assert.match(samplesError.details, /shutting down/);

    const exit = await node.exited;
    assert.equal(exit.code, 0);
    const { value } = await consul.api.healthService('shoal-drain');
    assert.equal(value.length, 0, 'the node deregistered itself');
    assert.ok(node.lines.some((l) => l.msg === 'deregistered from Consul'));
    standard.close();
    c.close();
  });
});
