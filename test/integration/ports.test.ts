import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { freePort } from '../../common/net/freePort';
import { NodeProcess } from '../support/nodeProcess';
import { startTestConsul, type TestConsul } from '../support/testConsul';

describe('a node whose base port is taken', function () {
  let consul: TestConsul;
  let squatter: Server;
  let node: NodeProcess;
  let base: number;

  before(async function () {
    consul = await startTestConsul();
    base = await freePort();
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(base, '127.0.0.1', resolve));
  });

  after(async function () {
    await node?.kill();
    squatter?.close();
    await consul?.stop();
  });

  it('takes the next free port above it, registers that real port in Consul, and logs only JSON', async function () {
    node = NodeProcess.spawn({
      role: 'worker',
      id: 'worker-1',
      consulAddress: consul.address,
      cluster: 'ports',
      args: ['--port', String(base), '--http-port', '0'],
    });
    const { grpc } = await node.serving();
    const port = Number(grpc.split(':')[1]);
    assert.ok(port > base && port < base + 100, `bound ${port}, above the taken ${base}`);
    const [entry] = await consul.waitForPassing('shoal-ports', 1);
    assert.equal(entry.Service.Port, port);
    assert.deepEqual(node.nonJsonLines, []);
    assert.equal(node.stderr.join(''), '');
  });
});
