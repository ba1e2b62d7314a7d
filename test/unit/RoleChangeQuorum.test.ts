import assert from 'node:assert/strict';
import { RoleChangeQuorum, roleChangeQuorum, stillPrimaryQuorum } from '../../common/cluster/RoleChangeQuorum';

describe('RoleChangeQuorum', function () {
  it('needs all but minAcks - 1 replicas with minAcks 1 and 2, and one with minAcks 0', function () {
    assert.deepEqual(
      [0, 1, 2].map((minAcks) => roleChangeQuorum(2, minAcks)),
      [1, 2, 1],
    );
    assert.deepEqual(
      [0, 1, 2, 3].map((minAcks) => roleChangeQuorum(3, minAcks)),
      [1, 3, 2, 1],
    );
  });

  it('lets a fenced primary confirm with the complement, so a role change and a confirmation cannot both be met', function () {
    for (const replicas of [0, 1, 2, 3, 5]) {
      for (let minAcks = 0; minAcks <= replicas; minAcks++) {
        const change = roleChangeQuorum(replicas, minAcks);
        const still = stillPrimaryQuorum(replicas, minAcks);
        assert.ok(replicas === 0 || change + still > replicas, `${replicas} replicas, minAcks ${minAcks}: ${change} + ${still} overlap`);
      }
    }
    assert.equal(stillPrimaryQuorum(0, 0), 0, 'with no replica nobody could have been promoted');
    assert.equal(stillPrimaryQuorum(2, 1), 1);
  });

  it('counts a declared replica that Consul no longer lists as one that did not answer, and names it', function () {
    const listedOnly = new RoleChangeQuorum({ listed: ['primary', 'replica-1'], declared: [], exclude: 'primary', minAcks: 1 });
    assert.equal(listedOnly.shortOf(['replica-1']), undefined, 'only what Consul lists: one replica, and it answered');

    const declared = new RoleChangeQuorum({
      listed: ['primary', 'replica-1'],
      declared: ['primary', 'replica-1', 'replica-2'],
      exclude: 'primary',
      minAcks: 1,
    });
    assert.deepEqual(declared.expected, ['replica-1', 'replica-2']);
    assert.equal(declared.needed, 2);
    assert.equal(
      declared.shortOf(['replica-1']),
      'only 1 of 2 replicas answered; with minAcks 1 at least 2 must, or an acknowledged write could be lost (not reached: replica-2)',
    );
    assert.match(declared.risk(['replica-1']), /^going ahead without replica-2: writes acknowledged by them \(sync\.minAcks 1\)/);
  });

  it('does not count an answer from a node outside the replicas it counts', function () {
    const q = new RoleChangeQuorum({ listed: ['replica-1', 'replica-2'], declared: [], exclude: 'primary', minAcks: 1 });
    assert.match(q.shortOf(['replica-1', 'primary'])!, /only 1 of 2 replicas answered/);
  });

  it('promotes with one answering replica in the asynchronous mode, and says so when none answers', function () {
    const q = new RoleChangeQuorum({
      listed: ['primary', 'replica-1', 'replica-2'],
      declared: ['primary', 'replica-1', 'replica-2'],
      exclude: 'primary',
      minAcks: 0,
    });
    assert.equal(q.shortOf(['replica-2']), undefined);
    assert.match(q.shortOf([])!, /with minAcks 0 \(asynchronous, the lossy mode: one answering replica is enough\) at least 1 must/);
    assert.match(q.risk([]), /writes the old primary acknowledged alone \(minAcks 0\) are lost/);
  });

  it('counts the current primary as a candidate when it is not excluded (a failover that did not finish)', function () {
    const q = new RoleChangeQuorum({ listed: ['primary', 'replica-1', 'replica-2'], declared: [], minAcks: 1 });
    assert.equal(q.needed, 3);
  });
});
