import assert from 'node:assert/strict';
import { uuidV7 } from '../../services/node/events/eventId';

describe('event ids (UUIDv7)', function () {
  it('are version 7 UUIDs that sort by the millisecond they were made in', function () {
    const ids = [1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000].map((ms) => uuidV7(ms));
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(ids[0].replace(/-/g, '').slice(0, 12), (1_700_000_000_000).toString(16).padStart(12, '0'));
    assert.notEqual(uuidV7(1_700_000_000_000), ids[0], 'random within a millisecond');
  });
});
