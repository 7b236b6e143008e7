import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRegistrations } from '../../agent/plugin-registrations';
import { cleanupUnder } from '../harness/cleanup';
import { tempDir } from '../harness/fs-helpers';
import { BERTH_BIN, PluginProcess, startPlugin } from '../harness/plugin-process';

describe('berth plugin register: any CSI plugin joins a node through its registration file', function () {
  this.timeout(60_000);
  let dir: string;
  let plugin: PluginProcess;
  const register = (args: string[]) =>
    spawnSync(process.execPath, [BERTH_BIN, 'plugin', 'register', '--plugin-dir', join(dir, 'plugins'), ...args], { encoding: 'utf8' });

  before(async () => {
    dir = tempDir('register');
    plugin = await startPlugin(['local', '--node-id', 'n1', '--pool', `fast=dir:${dir}/pool`, '--state-dir', join(dir, 'state')], join(dir, 'csi.sock'));
  });
  after(async () => {
    await plugin?.stop();
    cleanupUnder(dir);
  });

  it('checks the plugin answers under that name, then writes a registration the agent accepts', () => {
    const r = register(['--name', 'berth.local', '--endpoint', `unix://${plugin.socket}`, '--pool', 'fast:pool=fast', '--check']);
    assert.equal(r.status, 0, r.stderr);
    const { plugins, problems } = readRegistrations(join(dir, 'plugins'));
    assert.deepEqual(problems, []);
    assert.deepEqual(
      plugins.map((p) => ({ endpoint: p.endpoint, pools: p.pools })),
      [{ endpoint: `unix://${plugin.socket}`, pools: [{ name: 'fast', parameters: { pool: 'fast' } }] }],
    );
  });

  it('refuses a plugin that answers under another name, or a bad name, and writes nothing', () => {
    const wrong = register(['--name', 'vendor.example', '--endpoint', `unix://${plugin.socket}`, '--check']);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /reports itself as berth\.local/);
    assert.equal(existsSync(join(dir, 'plugins', 'vendor.example.json')), false);
    const bad = register(['--name', '../evil', '--endpoint', 'unix:///x']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not a CSI driver name/);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'plugins', 'berth.local.json'), 'utf8')).pools, [{ name: 'fast', parameters: { pool: 'fast' } }]);
  });
});
