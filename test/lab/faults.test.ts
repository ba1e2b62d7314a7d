import { strict as assert } from 'node:assert';
import { HostAgentClient } from '../../control-plane/placement/HostAgentClient';
import { useLab } from '../support/lab';

describe('lab faults (root)', function () {
  this.timeout(60_000);
  const lab = useLab({ hosts: 3 });

  afterEach(async () => {
    await lab.heal();
  });

  /** Whether UDP datagrams from `from` arrive at `to` (one-way cuts: TCP needs both ways). */
  async function udpArrives(from: string, to: string): Promise<boolean> {
    const port = 17000 + Math.floor(Math.random() * 1000);
    const listener = lab.inHost(
      to,
      `const s = require('node:dgram').createSocket('udp4'); s.on('message', () => process.exit(0)); s.bind(${port}, '${lab.host(to).address}'); setTimeout(() => process.exit(4), 2500);`,
    );
    // Sends for two seconds, so the listener's start-up (~100 ms) is covered.
    await lab.inHost(
      from,
      `const s = require('node:dgram').createSocket('udp4'); const t = setInterval(() => s.send('x', ${port}, '${lab.host(to).address}', () => undefined), 100); setTimeout(() => { clearInterval(t); s.close(); }, 2000);`,
    );
    return (await listener).code === 0;
  }

  it('isolate cuts a host off both ways and from the machine; heal restores it', async () => {
    assert.equal(await lab.reaches('h2', 'h1'), true);
    await lab.isolate('h1');
    await assert.rejects(new HostAgentClient(lab.host('h1').agent, 500).list(), /timeout|abort|fetch failed/i);
    assert.equal(await lab.reaches('h2', 'h1'), false);
    assert.equal(await lab.reaches('h1', 'h2'), false);
    assert.equal(await lab.reaches('h3', 'h2'), true);
    await lab.heal();
    assert.equal(await lab.reaches('h2', 'h1'), true);
    assert.equal(await lab.reaches('h1', 'h3'), true);
  });

  it('cut HOST --from HOST drops only the traffic between those two', async () => {
    await lab.cut('h1', 'h2');
    assert.equal(await lab.reaches('h2', 'h1'), false);
    assert.equal(await lab.reaches('h1', 'h2'), false);
    assert.equal(await lab.reaches('h3', 'h1'), true);
    assert.equal(await lab.reaches('h1', 'h3'), true);
    assert.equal(await lab.reaches('h2', 'h3'), true);
    assert.ok(await new HostAgentClient(lab.host('h1').agent).list(), 'the machine still reaches h1');
    await lab.heal();
    assert.equal(await lab.reaches('h2', 'h1'), true);
  });

  it('cut --one-way drops what the peer sends, not what the host sends', async () => {
    await lab.cut('h1', 'h2', true);
    assert.equal(await udpArrives('h2', 'h1'), false);
    assert.equal(await udpArrives('h1', 'h2'), true);
    await lab.heal();
    assert.equal(await udpArrives('h2', 'h1'), true);
  });

  it('cut HOST --from consul drops the traffic to the Consul servers only', async () => {
    // With three hosts all are servers: h1 loses h2 and h3, the machine still reaches it.
    await lab.cut('h1', 'consul');
    assert.equal(await lab.reaches('h1', 'h2'), false);
    assert.equal(await lab.reaches('h3', 'h1'), false);
    assert.equal(await lab.reaches('h2', 'h3'), true);
    assert.ok(await new HostAgentClient(lab.host('h1').agent).list());
  });

  it('pause stops a host answering, resume brings it back', async () => {
    await lab.pause('h2');
    await assert.rejects(new HostAgentClient(lab.host('h2').agent, 500).list(), /timeout|abort/i);
    await lab.resume('h2');
    assert.deepEqual((await new HostAgentClient(lab.host('h2').agent).list()).host, 'h2');
  });
});
