import assert from 'node:assert/strict';
import { staticHolderId, taskHolderId } from '../holder-ids';

describe('holder ids', () => {
  it('keys a task reservation by the task id and a static one by node and role', () => {
    assert.equal(taskHolderId('db-0'), 'db-0');
    assert.equal(staticHolderId('n1', 'volume-v-1'), 'static:n1:volume-v-1');
  });
});
