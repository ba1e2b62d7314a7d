import assert from 'node:assert/strict';
import { chooseHost, type HostView } from '../../control-plane/placement/chooseHost';

// The lab placement's host choice: where a node may start, and where it should.

const host = (name: string, processes: HostView['processes'] = [], reachable = true): HostView => ({ name, reachable, processes });
const running = (id: string, role: 'primary' | 'replica' | 'worker' = 'worker') => ({ id, role, running: true });
const stopped = (id: string, role: 'primary' | 'replica' | 'worker' = 'worker') => ({ id, role, running: false });

describe('chooseHost', function () {
  it('puts a state node on a host without another state node when there is one', function () {
    const hosts = [
      host('h1', [running('primary', 'primary')]),
      host('h2', [running('worker-1'), running('worker-2')]),
      host('h3', [running('replica-1', 'replica')]),
    ];
    assert.equal(chooseHost({ id: 'replica-2', role: 'replica', hosts: [] }, hosts), 'h2');
  });

  it('shares a host between state nodes only when every host has one', function () {
    const hosts = [host('h1', [running('primary', 'primary'), running('worker-1')]), host('h2', [running('replica-1', 'replica')])];
    assert.equal(chooseHost({ id: 'replica-2', role: 'replica', hosts: [] }, hosts), 'h2');
  });

  it('puts a worker on the least loaded host, by name on a tie', function () {
    const hosts = [host('h1', [running('primary', 'primary')]), host('h2'), host('h3')];
    assert.equal(chooseHost({ id: 'worker-1', role: 'worker', hosts: [] }, hosts), 'h2');
  });

  it('prefers the host where the node is known stopped: its data is there', function () {
    const hosts = [host('h1'), host('h2', [stopped('replica-1', 'replica'), running('worker-1')])];
    assert.equal(chooseHost({ id: 'replica-1', role: 'replica', hosts: [] }, hosts), 'h2');
  });

  it("keeps to the template's hosts, and only reachable ones", function () {
    const hosts = [host('h1'), host('h2', [], false), host('h3', [running('worker-1')])];
    assert.equal(chooseHost({ id: 'worker-2', role: 'worker', hosts: ['h2', 'h3'] }, hosts), 'h3');
    assert.throws(
      () => chooseHost({ id: 'worker-2', role: 'worker', hosts: ['h2'] }, hosts),
      /no host can run worker-2: it may run on its hosts \(h2\), and h2 cannot be reached/,
    );
  });

  it('never starts a node where a copy runs or may run', function () {
    assert.throws(() => chooseHost({ id: 'worker-1', role: 'worker', hosts: [] }, [host('h1'), host('h2', [running('worker-1')])]), /runs already on h2/);
    assert.throws(
      () => chooseHost({ id: 'worker-1', role: 'worker', hosts: [] }, [host('h1'), host('h2', [stopped('worker-1')], false)]),
      /recorded on h2, which cannot be reached: it may still run there/,
    );
  });

  it('says so when no host is known at all', function () {
    assert.throws(() => chooseHost({ id: 'worker-1', role: 'worker', hosts: [] }, []), /no host can run worker-1: it may run on any host, and none is known/);
  });
});
