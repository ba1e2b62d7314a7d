import { strict as assert } from 'node:assert';
import { leaseQuorum, majorityOf, PrimaryLease } from '../../services/node/replication/PrimaryLease';

describe('PrimaryLease', () => {
  let now = 0;
  const lease = (declaredReplicas: number) => new PrimaryLease({ leaseMs: 2000, declaredReplicas, now: () => now });
  beforeEach(() => (now = 1_000_000));

  it('a majority of n is floor(n/2)+1; the lease needs n − majority + 1, so a majority cannot lose a primary that keeps it', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(majorityOf), [1, 2, 2, 3, 3]);
    assert.deepEqual([1, 2, 3, 4, 5].map(leaseQuorum), [1, 1, 2, 2, 3]);
  });

  it('with two declared replicas, one still hearing the primary renews it (the control plane would need both to fail it over)', () => {
    const l = lease(2);
    now += 2500;
    assert.equal(l.held(), false);
    l.heardFromReplica('r1');
    assert.equal(l.held(), true);
  });

  it('starts held and runs out leaseMs after the last word from Consul', () => {
    const l = lease(1);
    assert.equal(l.held(), true);
    now += 1999;
    assert.equal(l.held(), true);
    now += 1;
    assert.equal(l.held(), false);
    assert.equal(l.silenceMs(), 2000);
    l.heardFromConsul();
    assert.equal(l.held(), true);
    assert.equal(l.silenceMs(), 0);
  });

  it('with no declared replica, the replica half is always met', () => {
    const l = lease(0);
    now += 60_000;
    assert.equal(l.held(), true);
    assert.equal(l.silenceMs(), 0);
  });

  it('two of three declared replicas renew it; one does not', () => {
    const l = lease(3);
    now += 2500;
    assert.equal(l.held(), false);
    l.heardFromReplica('r1');
    assert.equal(l.held(), false, 'one of three is not enough');
    l.heardFromReplica('r1');
    assert.equal(l.held(), false, 'hearing one replica twice is still one');
    now += 500;
    l.heardFromReplica('r2');
    assert.equal(l.held(), true);
    // The two were last both heard when r1 spoke: the lease runs from then.
    now += 1500;
    assert.equal(l.silenceMs(), 2000);
    assert.equal(l.held(), false);
    l.heardFromReplica('r3');
    assert.equal(l.held(), true, 'r2 and r3 are two again');
  });

  it('counts a renewal from when its question was sent, never from a slow answer, and never backwards', () => {
    const l = lease(1);
    const sent = now;
    now += 2500;
    l.heardFromConsul(sent);
    assert.equal(l.held(), false, 'an answer to a read sent 2.5 s ago does not renew a 2 s lease');
    l.heardFromReplica('r1', now - 100);
    assert.equal(l.silenceMs(), 100);
    l.heardFromReplica('r1', now - 1500);
    assert.equal(l.silenceMs(), 100, 'an older echo arriving late does not shorten what a newer one renewed');
  });
});
