import assert from 'node:assert/strict';
import { ConfigError } from '../../common/config/ConfigError';
import { parseClusterConfig } from '../../common/config/clusterConfig';

const nodes = [
  { id: 'primary', type: 'primary' },
  { id: 'replica', type: 'replica', count: 2 },
];

describe('config: sync.primaryLease against controlPlane.failoverAfter', function () {
  it('defaults the lease below the failover time', function () {
    const c = parseClusterConfig({ nodes }, {});
    assert.ok(c.sync.primaryLease < c.controlPlane.failoverAfter, `${c.sync.primaryLease} < ${c.controlPlane.failoverAfter}`);
  });

  it('refuses a lease not below controlPlane.failoverAfter, naming the field', function () {
    assert.throws(
      () => parseClusterConfig({ nodes, sync: { primaryLease: 1000 }, controlPlane: { failoverAfter: 1000 } }, {}),
      (err: unknown) =>
        err instanceof ConfigError && err.field === 'sync.primaryLease' && /is 1000, not below controlPlane.failoverAfter \(1000\)/.test(err.message),
    );
  });
});
