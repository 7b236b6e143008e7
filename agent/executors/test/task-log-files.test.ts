import assert from 'node:assert/strict';
import { appendFileSync, closeSync, mkdtempSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastLines, TaskLogFiles } from '../task-log-files';

describe('task log files', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-logs-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}\n`).join('');

  it('keeps output appended across opens, 0600, and tails the last lines', () => {
    const logs = new TaskLogFiles(root);
    for (const text of ['a\n', 'b\nc\n']) {
      const fd = logs.openForTask('t-0');
      writeSync(fd, text);
      closeSync(fd);
    }
    assert.equal(statSync(join(root, 't-0', 'output.log')).mode & 0o777, 0o600);
    assert.equal(logs.read('t-0').data.toString(), 'a\nb\nc\n');
    assert.equal(logs.read('t-0', { tail: 2 }).data.toString(), 'b\nc\n');
    assert.equal(logs.read('t-0', { tail: 10 }).data.toString(), 'a\nb\nc\n');
  });

  it('rotates past the size bound and keeps at most maxFiles files; offsets keep growing', () => {
    const logs = new TaskLogFiles(root, { maxBytes: 1000, maxFiles: 3 });
    const fd = logs.openForTask('t-0');
    let written = 0;
    for (let i = 0; i < 20; i++) {
      const text = lines(i * 50, i * 50 + 50);
      writeSync(fd, text);
      written += text.length;
      logs.maintain('t-0', 1000 + i * 2000);
    }
    closeSync(fd);
    const files = readdirSync(join(root, 't-0')).filter((n) => n.startsWith('output.log'));
    assert.equal(files.length, 3, `at most 3 files: ${files.join(', ')}`);
    assert.equal(logs.end('t-0'), written, 'the logical end counts every byte written');
    const kept = logs.read('t-0').data.toString();
    assert.ok(kept.length <= 3 * (1000 + 700), `bounded: ${kept.length} bytes kept`);
    assert.ok(kept.endsWith('line 999\n'));
    assert.equal(logs.read('t-0', { tail: 1 }).data.toString(), 'line 999\n');
    // A follower's offset from before a rotation reads on from the same place.
    const from = logs.end('t-0') - 9;
    assert.equal(logs.readFrom('t-0', from).data.toString(), 'line 999\n');
  });

  it('since: what was written after the checkpoint before that time, from a line start', () => {
    const logs = new TaskLogFiles(root);
    const fd = logs.openForTask('t-0');
    writeSync(fd, 'old 1\nold 2\n');
    logs.maintain('t-0', 10_000);
    writeSync(fd, 'new 1\n');
    logs.maintain('t-0', 20_000);
    writeSync(fd, 'new 2\n');
    logs.maintain('t-0', 30_000);
    closeSync(fd);
    assert.equal(logs.read('t-0', { sinceMs: 15_000 }).data.toString(), 'new 1\nnew 2\n');
    assert.equal(logs.read('t-0', { sinceMs: 25_000 }).data.toString(), 'new 2\n');
    assert.equal(logs.read('t-0', { sinceMs: 35_000 }).data.toString(), '');
    assert.equal(logs.read('t-0', { sinceMs: 5_000 }).data.toString(), 'old 1\nold 2\nnew 1\nnew 2\n');
    assert.equal(logs.read('t-0', { sinceMs: 15_000, tail: 1 }).data.toString(), 'new 2\n');
    // A checkpoint in the middle of a line: that line began before, and is skipped.
    appendFileSync(join(root, 't-0', 'output.log'), 'half');
    logs.maintain('t-0', 40_000);
    appendFileSync(join(root, 't-0', 'output.log'), ' a line\nlater\n');
    assert.equal(logs.read('t-0', { sinceMs: 41_000 }).data.toString(), 'later\n');
  });

  it('remove drops everything of the task', () => {
    const logs = new TaskLogFiles(root);
    closeSync(logs.openForTask('t-0'));
    assert.ok(logs.has('t-0'));
    logs.remove('t-0');
    assert.ok(!logs.has('t-0'));
    assert.deepEqual(logs.taskIds(), []);
  });

  it('lastLines', () => {
    assert.equal(lastLines(Buffer.from('a\nb\nc'), 2).toString(), 'b\nc');
    assert.equal(lastLines(Buffer.from('a\nb\n'), 5).toString(), 'a\nb\n');
    assert.equal(lastLines(Buffer.from('a\n'), 0).toString(), '');
  });
});
