import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupUnder } from '../harness/cleanup';
import { berth, berthJson, type Daemon, freePort, serverFiles, startDaemon, tokenArgs, useServerToken, waitFor } from '../harness/cluster';
import { tempDir } from '../harness/fs-helpers';
import { BERTH_BIN } from '../harness/plugin-process';

interface Task {
  id: string;
  app: string;
  state: string;
}

const app = (name: string, script: string) => `
kind: App
name: ${name}
spec:
  runtime: process
  instances: 1
  command: ["/bin/sh", "-c", ${JSON.stringify(script)}]
  resources: { cpu: 0.05, memory: 32Mi }
`;

describe('operator tools on the process runtime: berth logs (tail, since, follow), kept and rotated logs, berth exec', function () {
  this.timeout(240_000);
  const dir = tempDir('operator');
  // Not under /tmp: a process task has a private /tmp of its own and would never see the test's switches.
  const triggers = mkdtempSync('/var/tmp/berth-operator-');
  let api: string;
  let agentArgs: string[];
  let serverArgs: string[];
  let server: Daemon;
  let agent: Daemon;
  const logDir = (taskId: string) => join(dir, 'agent', 'processes', '.logs', taskId);

  before(async () => {
    const [port, agentPort] = [await freePort(), await freePort()];
    api = `http://127.0.0.1:${port}`;
    const agentAddress = `127.0.0.1:${agentPort}`;
    serverArgs = ['server', '--data-dir', join(dir, 'server'), '--listen', `127.0.0.1:${port}`, '--agent-listen', agentAddress];
    server = startDaemon(serverArgs);
    useServerToken(api, join(dir, 'server'));
    await waitFor('server', () => berth(api, ['get', 'nodes']).code === 0);
    const joinToken = serverFiles(join(dir, 'server')).joinToken;
    agentArgs = ['agent', '--join', agentAddress, '--join-token-file', joinToken, '--node-id', 'o1', '--state-dir', join(dir, 'agent'), '--runtime', 'process'];
    agent = startDaemon([...agentArgs, '--task-log-size', '4Ki', '--task-log-files', '2']);
    await waitFor('node o1 ready', () => berthJson<{ items: { id: string; state: string }[] }>(api, ['get', 'nodes']).items.some((n) => n.state === 'ready'));
    mkdirSync(triggers, { recursive: true });
  });

  after(async () => {
    if (api) {
      for (const name of ['talk', 'chatty', 'dead']) berth(api, ['delete', 'app', name]);
      await waitFor('tasks gone', () => tasks().length === 0, 60_000).catch(() => undefined);
    }
    await agent?.stop();
    await server?.stop();
    rmSync(triggers, { recursive: true, force: true });
    cleanupUnder(dir);
  });

  const tasks = () => berthJson<{ items: Task[] }>(api, ['get', 'tasks']).items;
  const runningTask = (id: string) => () => tasks().find((t) => t.id === id && t.state === 'running');
  const logs = (...args: string[]) => berth(api, ['logs', ...args]);

  // Three lines and "ready"; "more 1" once triggers/more exists; "bye" and an exit once triggers/stop exists (removed, so a restart waits again).
  const TALK = [
    'echo line 0; echo line 1; echo line 2; echo ready',
    `while [ ! -e ${triggers}/more ]; do sleep 0.1; done; echo more 1`,
    `while [ ! -e ${triggers}/stop ]; do sleep 0.1; done; rm -f ${triggers}/stop; echo bye; exit 0`,
  ].join('\n');

  it('berth logs --tail 2 prints the last two lines; --since selects by time', async () => {
    assert.equal(berth(api, ['apply', '-f', '-'], app('talk', TALK)).code, 0);
    await waitFor('talk-0 running', runningTask('talk-0'));
    await waitFor('talk-0 ready', () => logs('talk-0').stdout.includes('ready'));
    const tail = logs('talk-0', '--tail', '2');
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(tail.stdout, 'line 2\nready\n');
    assert.equal(logs('talk-0', '--since', '1h').stdout, 'line 0\nline 1\nline 2\nready\n');
    assert.equal(logs('talk-0', '--since', '2099-01-01T00:00:00Z').stdout, '');
    const bad = logs('talk-0', '--since', 'yesterday');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since must be a duration/);
    const missing = logs('nosuch-0');
    assert.equal(missing.code, 3, missing.stderr);
  });

  it('berth logs -f prints new lines as they come and ends when the task stops', async () => {
    const child = spawn(process.execPath, [BERTH_BIN, '--server', api, ...tokenArgs(api), 'logs', '-f', '--tail', '1', 'talk-0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor('the tail', () => out === 'ready\n', 20_000);
      writeFileSync(join(triggers, 'more'), '');
      await waitFor('a new line followed', () => out === 'ready\nmore 1\n', 20_000);
      writeFileSync(join(triggers, 'stop'), '');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still following'), 20_000))]);
      assert.equal(code, 0, `${err} (${out})`);
      assert.equal(out, 'ready\nmore 1\nbye\n');
    } finally {
      child.kill();
    }
  });

  it('keeps the logs across the task restarting and the agent restarting', async () => {
    // The task exited after "bye": the agent starts it again, and its new output follows the old.
    await waitFor('talk-0 ran again', () => logs('talk-0').stdout.split('ready').length === 3, 60_000);
    await agent.stop();
    agent = startDaemon([...agentArgs, '--task-log-size', '4Ki', '--task-log-files', '2']);
    await waitFor('node o1 ready again', () =>
      berthJson<{ items: { id: string; state: string }[] }>(api, ['get', 'nodes']).items.some((n) => n.state === 'ready'),
    );
    const after = await waitFor('logs after the restart', () => {
      const r = logs('talk-0');
      return r.code === 0 && r.stdout;
    });
    assert.equal(after, 'line 0\nline 1\nline 2\nready\nmore 1\nbye\nline 0\nline 1\nline 2\nready\nmore 1\n');
    assert.equal(statSync(join(logDir('talk-0'), 'output.log')).mode & 0o777, 0o600);
  });

  it('berth exec runs a command in the task: its output, its exit code; stdin with -i, a terminal with -t', async () => {
    await waitFor('talk-0 running', runningTask('talk-0'));
    const r = berth(api, ['exec', 'talk-0', '--', 'sh', '-c', 'echo $BERTH_APP; echo oops >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'talk\n');
    assert.equal(r.stderr, 'oops\n');
    const cat = berth(api, ['exec', '-i', 'talk-0', '--', 'sh', '-c', 'tr a-z A-Z'], 'hello\nworld\n');
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, 'HELLO\nWORLD\n');
    const tty = berth(api, ['exec', '-t', 'talk-0', '--', 'tty']);
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stdout, /^\/dev\/pts\/\d+\r?\n$/);
  });

  it('a client that goes away ends its exec: the command is killed, nothing is left running', async () => {
    // Found on the node by its command line: inside the task's PID namespace `$$` is not the node's pid.
    const seconds = String(3000 + Math.floor(Math.random() * 1000));
    const child = spawn(process.execPath, [BERTH_BIN, '--server', api, ...tokenArgs(api), 'exec', 'talk-0', '--', 'sleep', seconds], { stdio: 'ignore' });
    const running = () => spawnSync('pgrep', ['-x', '-f', `sleep ${seconds}`]).status === 0;
    await waitFor('the command runs', running, 20_000);
    child.kill('SIGKILL');
    await waitFor('the command killed', () => !running(), 20_000);
  });

  it('a server that stops ends the follows in progress (and stops at once)', async () => {
    await waitFor('talk-0 running', runningTask('talk-0'));
    const child = spawn(process.execPath, [BERTH_BIN, '--server', api, ...tokenArgs(api), 'logs', '-f', 'talk-0'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor('following', () => out.includes('ready'), 20_000);
      const began = Date.now();
      await server.stop();
      assert.ok(Date.now() - began < 10_000, `the server took ${Date.now() - began} ms to stop`);
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still following'), 10_000))]);
      assert.equal(typeof code, 'number');
    } finally {
      child.kill();
      server = startDaemon(serverArgs);
      await waitFor('server back', () => berth(api, ['get', 'nodes']).code === 0);
    }
  });

  it('berth exec into a task that does not exist or does not run: a clear error and the exit code of the table', async () => {
    const none = berth(api, ['exec', 'nosuch-0', '--', 'true']);
    assert.equal(none.code, 3, none.stderr);
    assert.match(none.stderr, /task nosuch-0 not found/);
    assert.equal(berth(api, ['apply', '-f', '-'], app('dead', 'echo dying; exit 1')).code, 0);
    const refused = await waitFor('exec refused', () => {
      const res = berth(api, ['exec', 'dead-0', '--', 'true']);
      return res.code === 4 && res;
    });
    assert.match(refused.stderr, /task dead-0 is not running/);
  });

  it('rotates a chatty task within the bound, and drops its logs once the task is gone for good', async () => {
    const line = 'x'.repeat(90);
    assert.equal(berth(api, ['apply', '-f', '-'], app('chatty', `i=0; while :; do echo "$i ${line}"; i=$((i+1)); sleep 0.02; done`)).code, 0);
    await waitFor('chatty-0 running', runningTask('chatty-0'));
    await waitFor('a rotation', () => readdirSync(logDir('chatty-0')).some((n) => /^output\.log\.\d+$/.test(n)), 30_000);
    await new Promise((r) => setTimeout(r, 4000));
    const files = readdirSync(logDir('chatty-0')).filter((n) => n.startsWith('output.log'));
    assert.ok(files.length <= 2, `at most 2 files: ${files.join(', ')}`);
    // Each file holds at most the bound and what the task wrote in the second between checks (~5 KB).
    for (const f of files) assert.ok(statSync(join(logDir('chatty-0'), f)).size < 4096 + 12_000, `${f} bounded`);
    const kept = logs('chatty-0').stdout;
    assert.ok(kept.length < 2 * (4096 + 12_000), `${kept.length} bytes kept`);
    assert.ok(!kept.startsWith('0 '), 'the oldest output was rotated away');
    assert.equal(berth(api, ['delete', 'app', 'chatty']).code, 0);
    await waitFor('chatty logs removed', () => !existsSync(logDir('chatty-0')), 60_000);
  });
});
