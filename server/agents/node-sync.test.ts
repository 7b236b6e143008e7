import assert from 'node:assert/strict';
import type { SyncRequest__Output } from '../../proto/berth/generated/berth/agent/v1/SyncRequest';
import { onServerClock } from './node-sync';

type Plugins = SyncRequest__Output['plugins'];
const plugins = (reportedAtMs: number): Plugins => [
  { pools: [{ name: 'fast', availableBytes: '100', parameters: {}, reportedAtMs: String(reportedAtMs) }] } as unknown as Plugins[number],
];

describe('server: agent timestamps on the server clock', () => {
  it('shifts pool measurement times by how far the agent clock is from the server clock', () => {
    // The agent's clock runs 5 minutes behind: it measured at its 1,000,000 and sent at its 1,000,500.
    const behind = onServerClock(plugins(1_000_000), '1000500', 1_300_500);
    assert.equal(behind[0]!.pools[0]!.reportedAtMs, String(1_300_000));
    const ahead = onServerClock(plugins(2_000_000), '2000100', 1_000_100);
    assert.equal(ahead[0]!.pools[0]!.reportedAtMs, String(1_000_000));
  });

  it('takes an agent that sends no clock at its word', () => {
    assert.equal(onServerClock(plugins(42), '0', 99)[0]!.pools[0]!.reportedAtMs, '42');
  });
});
