import { waitFor } from '../../common/time/waitFor';
import { StateCluster } from '../support/stateCluster';

describe('a peer that stops answering while its sockets stay open', function () {
  this.timeout(60_000);
  let c: StateCluster;

  before(async function () {
    c = await StateCluster.start({ cluster: `dead-peers-${process.pid}`, sync: { minAcks: 1 } });
  });

  after(async function () {
    c?.nodes.node('replica-2').signal('SIGCONT');
    await c?.stop();
  });

  it("is dropped by the primary's HTTP/2 keepalive: a hung replica stops counting as connected within 20 s, and counts again once it answers", async function () {
    await c.waitForReplicas('primary', 2);
    // SIGSTOP: the kernel still acknowledges TCP, so only a ping the process must answer finds it.
    c.nodes.node('replica-2').signal('SIGSTOP');
    await waitFor('the primary to drop the hung replica', async () => (await c.metric('primary', 'shoal_replication_connected_replicas')) === 1, {
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    c.nodes.node('replica-2').signal('SIGCONT');
    await c.waitForReplicas('primary', 2, 30_000);
  });
});
