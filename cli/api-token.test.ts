import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findApiToken } from './api-token';

describe('berth: where the CLI finds its API token', () => {
  let dir: string;
  const home = () => join(dir, 'home');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-cli-token-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes --token-file, else BERTH_TOKEN, else the config file, else the server data dir, and says where it looked', () => {
    const dataDir = join(dir, 'berth');
    mkdirSync(join(dataDir, 'server'), { recursive: true });
    writeFileSync(join(dataDir, 'server', 'api-token'), 'from-data-dir\n');
    assert.deepEqual(findApiToken({ dataDir, env: {}, home: home() }).token, 'from-data-dir');
    mkdirSync(join(home(), '.config', 'berth'), { recursive: true });
    writeFileSync(join(home(), '.config', 'berth', 'token'), 'from-config\n');
    assert.equal(findApiToken({ dataDir, env: {}, home: home() }).token, 'from-config');
    assert.equal(findApiToken({ dataDir, env: { BERTH_TOKEN: 'from-env' }, home: home() }).token, 'from-env');
    writeFileSync(join(dir, 'mine'), 'from-flag\n');
    assert.equal(findApiToken({ tokenFile: join(dir, 'mine'), dataDir, env: { BERTH_TOKEN: 'from-env' }, home: home() }).token, 'from-flag');
    assert.throws(() => findApiToken({ tokenFile: join(dir, 'nope'), dataDir, env: {}, home: home() }), /--token-file .*nope: absent/);

    const none = findApiToken({ dataDir: join(dir, 'elsewhere'), env: {}, home: join(dir, 'nohome') });
    assert.equal(none.token, undefined);
    assert.deepEqual(none.looked, [
      'BERTH_TOKEN (unset)',
      `${join(dir, 'nohome', '.config', 'berth', 'token')} (absent)`,
      `${join(dir, 'elsewhere', 'server', 'api-token')} (absent)`,
      `${join(dir, 'elsewhere', 'api-token')} (absent)`,
    ]);
  });

  it('reads a server data dir given directly (its own api-token)', () => {
    writeFileSync(join(dir, 'api-token'), 'server-own\n');
    chmodSync(join(dir, 'api-token'), 0o600);
    assert.equal(findApiToken({ dataDir: dir, env: {}, home: home() }).token, 'server-own');
  });
});
