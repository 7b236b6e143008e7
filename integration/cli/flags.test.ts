import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BERTH_BIN } from '../harness/plugin-process';

const berth = (args: string[]) =>
  spawnSync(process.execPath, [BERTH_BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, BERTH_TOKEN: 'sekrit-token' } });

describe('berth command line: bad input exits 2 with a message, and never shows secrets', function () {
  this.timeout(60_000);
  it('refuses malformed plugin flags before touching anything', () => {
    for (const args of [
      ['plugin', 'local', '--node-id', 'n', '--pool', 'not-a-pool', '--socket', '/tmp/berth-flags.sock'],
      ['plugin', 'local', '--node-id', 'n', '--pool', 'p=/x', '--socket', '/tmp/berth-flags.sock', '--max-volumes-per-node', 'many'],
      ['plugin', 'local', '--node-id', 'n', '--pool', 'p=/x', '--socket', '/tmp/berth-flags.sock', '--default-volume-size', 'huge'],
      ['--server', 'not a url', 'get', 'apps'],
      ['get', 'unicorns'],
      ['frobnicate'],
    ]) {
      const r = berth(args);
      assert.equal(r.status, 2, `${args.join(' ')} → ${r.status}: ${r.stderr}`);
      assert.ok(r.stderr.trim().length > 0, 'says why');
    }
  });

  it('does not print the API token in --help', () => {
    const r = berth(['server', '--help']);
    assert.equal(r.status, 0);
    assert.doesNotMatch(r.stdout, /sekrit-token/);
  });

  it('exits 1 with a readable message when the server cannot be reached', () => {
    const r = berth(['--server', 'http://127.0.0.1:9', 'get', 'apps']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot reach the Berth server/);
  });
});
