import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { FAILPOINTS, FAILPOINTS_ENV, FailpointSyntaxError, parseFailpoints, pauseMs, pausePoint } from './failpoints';
import { armedEntry } from './parse';

describe('lib/failpoints', () => {
  afterEach(() => {
    delete process.env[FAILPOINTS_ENV];
  });

  it('parses crash points, pause points and subjects in one syntax', () => {
    assert.deepEqual(parseFailpoints(' local.create-volume.after-subvolume , server.backup.before-upload@crash:60000,agent.create-volume.before-plugin:250 '), [
      { name: 'local.create-volume.after-subvolume' },
      { name: 'server.backup.before-upload', subject: 'crash', pauseMs: 60000 },
      { name: 'agent.create-volume.before-plugin', pauseMs: 250 },
    ]);
    assert.deepEqual(parseFailpoints(undefined), []);
    assert.deepEqual(parseFailpoints(',,'), []);
  });

  it('refuses unknown names, malformed entries, a duration on a crash point and a pause point without one', () => {
    const problems = (value: string): readonly string[] => {
      try {
        parseFailpoints(value);
      } catch (error) {
        assert.ok(error instanceof FailpointSyntaxError);
        return error.problems;
      }
      return assert.fail(`${value} was accepted`);
    };
    assert.match(problems('local.create-volume.after-subvolum')[0], /unknown failpoint "local.create-volume.after-subvolum"/);
    assert.match(problems('server.backup.before-upload=5')[0], /is not name\[@subject\]\[:ms\]/);
    assert.match(problems('iscsi.create-volume.after-file:10')[0], /crash point: it takes no duration/);
    assert.match(problems('server.restore.before-mover@big2')[0], /pause point: arm it as server.restore.before-mover:<ms>/);
    // Every problem is named, not only the first; one bad entry disarms the whole value.
    assert.equal(problems('nope,iscsi.create-volume.after-file:1,agent.create-volume.after-plugin').length, 2);
  });

  it('lets an entry naming the subject win over one for every subject, and ignores other subjects', () => {
    const armed = parseFailpoints('server.backup.before-upload:5,server.backup.before-upload@db:7,server.restore.before-mover@big2:9');
    assert.equal(armedEntry(armed, 'server.backup.before-upload', 'db')?.pauseMs, 7);
    assert.equal(armedEntry(armed, 'server.backup.before-upload', 'web')?.pauseMs, 5);
    assert.equal(armedEntry(armed, 'server.restore.before-mover', 'big')?.pauseMs, undefined);
    assert.equal(armedEntry(armed, 'server.restore.before-mover')?.pauseMs, undefined);
  });

  it('reads the variable at each point: unset is a no-op, a new value is parsed again', async () => {
    assert.equal(pauseMs('agent.create-volume.before-plugin'), 0);
    process.env[FAILPOINTS_ENV] = 'agent.create-volume.before-plugin:20';
    assert.equal(pauseMs('agent.create-volume.before-plugin'), 20);
    const started = Date.now();
    await pausePoint('agent.create-volume.before-plugin');
    assert.ok(Date.now() - started >= 15);
    process.env[FAILPOINTS_ENV] = 'agent.create-volume.before-plugin:5';
    assert.equal(pauseMs('agent.create-volume.before-plugin'), 5);
    process.env[FAILPOINTS_ENV] = 'garbage!';
    assert.throws(() => pauseMs('agent.create-volume.before-plugin'), FailpointSyntaxError);
  });

  it('ends an armed pause early when its signal aborts', async () => {
    process.env[FAILPOINTS_ENV] = 'server.restore.before-mover@big2:60000';
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 10);
    await assert.rejects(pausePoint('server.restore.before-mover', { subject: 'big2', signal: abort.signal }), { name: 'AbortError' });
  });

  it('kills the process with SIGKILL at an armed crash point, and only there', () => {
    const script = `const f = require(${JSON.stringify(require.resolve('./failpoints'))});
      f.crashPoint('local.create-volume.after-subvolume'); console.log('passed');
      f.crashPoint('agent.create-volume.after-plugin'); console.log('not reached');`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, [FAILPOINTS_ENV]: 'agent.create-volume.after-plugin' }, encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.stdout.trim(), 'passed');
  });

  it('names a subject for exactly the points that take one', () => {
    for (const [name, spec] of Object.entries(FAILPOINTS)) {
      assert.equal('subject' in spec, name.startsWith('server.backup') || name.startsWith('server.restore'), name);
    }
  });
});
