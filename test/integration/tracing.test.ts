import assert from 'node:assert/strict';
import { waitFor } from '../../common/time/waitFor';
import { NodeProcess } from '../support/nodeProcess';
import { OtlpReceiver } from '../support/otlpReceiver';
import { runCli } from '../support/runCli';
import { startTestConsul, type TestConsul } from '../support/testConsul';

describe('OpenTelemetry traces across processes', function () {
  let consul: TestConsul;
  let receiver: OtlpReceiver;
  let node: NodeProcess;

  before(async function () {
    consul = await startTestConsul();
    receiver = await OtlpReceiver.start();
    node = NodeProcess.spawn({ role: 'primary', consulAddress: consul.address, cluster: 'traced', env: receiver.env });
    await node.serving();
    await consul.waitForPassing('shoal-traced', 1);
  });

  after(async function () {
    await node?.kill();
    await receiver?.close();
    await consul?.stop();
  });

  it('gives the CLI client span and the node server span of one call the same trace id, parent to child', async function () {
    const result = await runCli(['status', '--cluster', 'traced'], { CONSUL_HTTP_ADDR: consul.address, ...receiver.env });
    assert.equal(result.code, 0, result.stderr);
    const method = 'grpc.shoal.v1.Discovery/GetNodeInfo';
    const client = await waitFor('the CLI client span', () => receiver.spans.find((s) => s.service === 'shoal-cli' && s.kind === 3 && s.name === method), {
      timeoutMs: 10000,
    });
    const server = await waitFor(
      'the node server span',
      () => receiver.spans.find((s) => s.service === 'shoal-node' && s.kind === 2 && s.traceId === client.traceId),
      {
        timeoutMs: 10000,
        describe: () => JSON.stringify(receiver.spans.map((s) => [s.service, s.name, s.kind])),
      },
    );
    assert.equal(server.name, method);
    assert.equal(server.parentSpanId, client.spanId);
  });
});
