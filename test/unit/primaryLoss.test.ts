import assert from 'node:assert/strict';
import { MemberHealth } from '../../gen/shoal/v1/node';
import { primaryLoss, type PrimaryLossInput } from '../../control-plane/reconcile/primaryLoss';

// The rule that decides a failover without waiting for Consul: the control plane's silence
// and a majority of the declared replicas' own silence, never either alone.

const NOW = 1_000_000;
const AFTER = 1000;

/** A replica the control plane heard `ageMs` ago, which had not heard the primary for `silenceMs`. */
const replica = (id: string, ageMs: number, silenceMs: number) => ({ id, lastSampleAt: NOW - ageMs, primarySilenceMs: silenceMs });

function input(over: Partial<PrimaryLossInput>): PrimaryLossInput {
  return {
    now: NOW,
    failoverAfterMs: AFTER,
    processGone: false,
    lastPrimarySampleAt: NOW - 2000,
    replicas: [replica('replica-1', 100, 2000), replica('replica-2', 100, 2000)],
    consulHealth: MemberHealth.MEMBER_HEALTH_PASSING,
    ...over,
  };
}

describe('primaryLoss', function () {
  it('is lost at once when its process is known gone', function () {
    const v = primaryLoss(input({ processGone: true, lastPrimarySampleAt: NOW - 10, replicas: [] }));
    assert.equal(v.lost, true);
    assert.match(v.reason, /its process is gone/);
  });

  it('is not lost while the control plane hears it, whatever the replicas say', function () {
    const v = primaryLoss(input({ lastPrimarySampleAt: NOW - 100 }));
    assert.deepEqual([v.lost, v.silentToControlPlaneOnly], [false, false]);
  });

  it('is lost when the control plane and a majority of the replicas have not heard it for failoverAfter', function () {
    const v = primaryLoss(input({ replicas: [replica('replica-1', 100, 1500), replica('replica-2', 100, 1000), replica('replica-3', 100, 10)] }));
    assert.equal(v.lost, true);
    assert.match(
      v.reason,
      /no sample for 2000 ms; 2 of 3 declared replicas \(2 needed\) have not heard from it for 1000 ms \(replica-1, replica-2\); Consul check passing/,
    );
  });

  it('keeps its role when only the control plane cannot hear it', function () {
    const v = primaryLoss(input({ replicas: [replica('replica-1', 100, 50), replica('replica-2', 100, 2000)] }));
    assert.deepEqual([v.lost, v.silentToControlPlaneOnly], [false, true]);
    assert.match(v.reason, /to the control plane only; 1 of 2 declared replicas \(2 needed\).*replica-1 still hear it/);
  });

  it('counts no vote from a replica whose own stream is silent', function () {
    const v = primaryLoss(input({ replicas: [replica('replica-1', 100, 2000), replica('replica-2', AFTER, 5000)] }));
    assert.equal(v.lost, false);
    const never = primaryLoss(input({ replicas: [replica('replica-1', 100, 2000), { id: 'replica-2', lastSampleAt: 0, primarySilenceMs: 0 }] }));
    assert.equal(never.lost, false);
  });

  it("takes Consul's check as evidence only: critical alone is no loss", function () {
    const v = primaryLoss(input({ lastPrimarySampleAt: NOW - 100, consulHealth: MemberHealth.MEMBER_HEALTH_CRITICAL }));
    assert.equal(v.lost, false);
    const gone = primaryLoss(input({ consulHealth: undefined }));
    assert.equal(gone.lost, true);
    assert.match(gone.reason, /Consul check absent \(not in the catalog\)/);
  });

  it('counts a never-heard primary as silent', function () {
    assert.equal(primaryLoss(input({ lastPrimarySampleAt: 0 })).lost, true);
  });
});
