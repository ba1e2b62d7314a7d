import { strict as assert } from 'node:assert';
import { controlPlaneLockKey } from '../../common/cluster/controlPlaneLeader';
import { type FollowState, followControlPlaneLeader } from '../../common/cluster/followControlPlaneLeader';
import { waitFor } from '../../common/time/waitFor';
import { startTestConsul, type TestConsul } from '../support/testConsul';

const CLUSTER = 'follow-test';

describe('following the control-plane leader (monitor, shoal events)', function () {
  this.timeout(30_000);
  let consul: TestConsul;
  const stop = new AbortController();
  let following: Promise<void> | undefined;

  before(async () => {
    consul = await startTestConsul();
  });

  after(async () => {
    stop.abort();
    await following;
    await consul?.stop();
  });

  /** Takes the lock as control-plane `id` with a session of its own; returns the session. */
  async function lead(id: string): Promise<string> {
    const session = await consul.api.sessionCreate({ name: id, checks: ['serfHealth'], lockDelay: '0s' });
    const value = JSON.stringify({ id, grpcAddress: `127.0.0.1:${id === 'cp-a' ? 1 : 2}`, httpAddress: '', sinceUnixMs: Date.now() });
    assert.ok(await consul.api.kvAcquire(controlPlaneLockKey(CLUSTER), value, session), `${id} takes the lock`);
    return session;
  }

  it('waits while no instance holds the lock, follows the holder, and starts a new session on the next holder when the lock passes', async () => {
    const states: FollowState[] = [];
    const sessions: string[] = [];
    following = followControlPlaneLeader(
      { consul: consul.api, cluster: CLUSTER, signal: stop.signal, recheckMs: 100, onState: (s) => states.push(s) },
      ({ leader, ended }) => {
        sessions.push(leader.id);
        // A session that hears nothing and lasts until the lock passes on.
        return new Promise((resolve) => ended.addEventListener('abort', () => resolve({ why: 'ended', heard: false }), { once: true }));
      },
    );
    await waitFor('following to report that no instance leads', () => states.some((s) => s.kind === 'no-leader'), { timeoutMs: 5000 });
    assert.equal(sessions.length, 0, 'no session while no instance leads');

    const a = await lead('cp-a');
    await waitFor('a session on cp-a', () => sessions.includes('cp-a'), { timeoutMs: 5000 });

    await consul.api.kvRelease(controlPlaneLockKey(CLUSTER), a);
    await lead('cp-b');
    await waitFor('a session on cp-b', () => sessions.includes('cp-b'), { timeoutMs: 5000 });
    const lost = states.find((s) => s.kind === 'lost');
    assert.ok(lost && lost.kind === 'lost', 'the end of the session on cp-a is reported');
    assert.equal(lost.leader.id, 'cp-a');
    assert.match(lost.why, /the lock passed from cp-a to cp-b|cp-a no longer holds the lock/);
  });

  it('stops following, and ends the open session, when its signal aborts', async () => {
    const stopHere = new AbortController();
    let sessionEnded = false;
    let opened = '';
    const run = followControlPlaneLeader({ consul: consul.api, cluster: CLUSTER, signal: stopHere.signal, recheckMs: 100 }, ({ leader, ended }) => {
      opened = leader.id;
      return new Promise((resolve) =>
        ended.addEventListener('abort', () => {
          sessionEnded = true;
          resolve({ why: 'stopped', heard: false });
        }),
      );
    });
    // The lock may be held (by the previous test's cp-b) or not: take it, so there is a session to end.
    const session = await consul.api.sessionCreate({ name: 'cp-c', checks: ['serfHealth'], lockDelay: '0s' });
    await waitFor(
      'cp-c to take the lock',
      async () => {
        const { value } = await consul.api.kvGet(controlPlaneLockKey(CLUSTER));
        if (value?.session) await consul.api.kvRelease(controlPlaneLockKey(CLUSTER), value.session);
        return consul.api.kvAcquire(controlPlaneLockKey(CLUSTER), JSON.stringify({ id: 'cp-c', grpcAddress: '127.0.0.1:3' }), session);
      },
      { timeoutMs: 5000 },
    );
    await waitFor('a session on cp-c', () => opened === 'cp-c', { timeoutMs: 5000 });
    stopHere.abort();
    await run;
    assert.ok(sessionEnded, 'the open session saw ended abort');
  });
});
