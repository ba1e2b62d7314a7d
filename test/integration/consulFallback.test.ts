import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { ConsulApi } from '../../common/consul/ConsulApi';
import { freePort } from '../../common/net/freePort';
import { startTestConsul, type TestConsul } from '../support/testConsul';

// ConsulApi survives the loss of one agent: a real Consul dev agent behind two dead addresses,
// one where nothing listens (refused at once) and one that accepts and never answers (a
// request there can only end by its timeout).

describe('ConsulApi with fallback addresses', function () {
  this.timeout(30_000);
  let consul: TestConsul;
  let silent: Server;
  let silentAddress: string;
  let refusedAddress: string;
  const sockets = new Set<Socket>();

  before(async function () {
    consul = await startTestConsul();
    // Accepts connections, reads the requests, and never writes a byte back.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentAddress = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    refusedAddress = `127.0.0.1:${await freePort()}`;
  });

  after(async function () {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await consul.stop();
  });

  it('retries a request on the next address within the call when one refuses', async function () {
    const api = new ConsulApi(refusedAddress, { fallbackAddresses: [consul.address] });
    await api.kvPut('fallback/refused', 'yes', 1000);
    assert.equal((await api.kvGet('fallback/refused')).value?.value, 'yes');
    assert.equal(api.currentAddress, consul.address, 'the address that answered is tried first next time');
  });

  it('retries on the next address when one times out, within the per-try cap', async function () {
    const api = new ConsulApi(silentAddress, { fallbackAddresses: [consul.address], maxTimeoutMs: 300 });
    const started = Date.now();
    // The caller asks 5 s; the cap makes the silent agent cost 300 ms.
    assert.equal(await api.kvCas('fallback/timeout', 'v', 0, 5000), true);
    const took = Date.now() - started;
    assert.ok(took >= 300 && took < 2000, `took ${took} ms`);
    assert.equal(api.currentAddress, consul.address);
    assert.equal(await api.isReachable(1000), true);
  });

  it('asks the next address too when a read is slow, without waiting out the first one', async function () {
    await new ConsulApi(consul.address).kvPut('fallback/hedged', 'answered');
    const api = new ConsulApi(silentAddress, { fallbackAddresses: [consul.address], maxTimeoutMs: 5000, hedgeReadsAfterMs: 100 });
    const started = Date.now();
    assert.equal((await api.kvGet('fallback/hedged', { timeoutMs: 5000 })).value?.value, 'answered');
    const took = Date.now() - started;
    // The silent agent would have held it 5 s; the hedge asks the live one after 100 ms.
    assert.ok(took >= 100 && took < 1500, `took ${took} ms`);
    assert.equal(api.currentAddress, consul.address, 'the address that answered is tried first next time');
  });

  it('fails a hedged read when no address answers, naming each', async function () {
    const api = new ConsulApi(silentAddress, { fallbackAddresses: [refusedAddress], maxTimeoutMs: 300, hedgeReadsAfterMs: 50 });
    await assert.rejects(api.kvGet('fallback/none'), (err: Error) => {
      assert.match(err.message, /no Consul agent answered/);
      assert.ok(err.message.includes(silentAddress) && err.message.includes(refusedAddress), err.message);
      return true;
    });
  });

  it('fails when no address answers, naming each', async function () {
    const api = new ConsulApi(silentAddress, { fallbackAddresses: [refusedAddress], maxTimeoutMs: 200 });
    await assert.rejects(api.kvGet('fallback/none'), (err: Error) => {
      assert.match(err.message, /no Consul agent answered/);
      assert.ok(err.message.includes(silentAddress) && err.message.includes(refusedAddress), err.message);
      assert.match(err.message, /timed out/);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
    assert.equal(await api.isReachable(200), false);
  });

  it('moves a failed blocking query to the next address for the next attempt', async function () {
    const api = new ConsulApi(silentAddress, { fallbackAddresses: [consul.address] });
    const { index } = await new ConsulApi(consul.address).kvGet('fallback/blocking');
    await assert.rejects(api.kvGet('fallback/blocking', { index, wait: '1s', timeoutMs: 300 }), /timed out/);
    assert.equal(api.currentAddress, consul.address);
    const answer = await api.kvGet('fallback/blocking', { index, wait: '100ms', timeoutMs: 5000 });
    assert.ok(Number(answer.index) >= Number(index));
  });

  it('does not retry an answer of Consul (a 4xx is the same from every agent)', async function () {
    const api = new ConsulApi(consul.address, { fallbackAddresses: [refusedAddress] });
    await assert.rejects(
      api.sessionCreate({ name: 'x', checks: ['no-such-check'], lockDelay: '0s' }, 1000),
      (err: Error) => !/no Consul agent answered/.test(err.message),
    );
  });
});
