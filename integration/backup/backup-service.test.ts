import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiFetch, berth, berthJson, CliResult, NodeHandle, startCluster, TestCluster, tokenArgs, waitFor } from '../harness/cluster';
import { dockerAvailable, skipWithoutDocker } from '../harness/dockerd';
import { BERTH_BIN } from '../harness/plugin-process';

interface BackupVolume {
  volume: string;
  claimId: string;
  state: string;
  bytesDone: number;
  bytesTotal: number;
  bytesNew?: number;
  bytesStored?: number;
  changeMarker?: string;
  message?: string;
}
interface Backup {
  id: string;
  app: string;
  repository: string;
  schedule?: string;
  parent?: string;
  state: string;
  message?: string;
  origin: string;
  recoveryPointId?: string;
  volumes: BackupVolume[];
  bytesRead?: number;
  bytesNew?: number;
  bytesStored?: number;
  progress: { bytesDone: number; bytesTotal: number };
}
interface Schedule {
  name: string;
  app: string;
  cron: string;
  repository: string;
  keep?: number;
  ttlSeconds?: number;
  fromApp: boolean;
}
interface Event {
  object: string;
  reason: string;
  message: string;
}

const PASSPHRASE = 'backup service test passphrase';
const MiB = 1024 * 1024;
/** The agent's data mover (branch h/mover) answers BackupVolume; until it is merged the agent answers UNIMPLEMENTED. */
const available = dockerAvailable();

const STORAGE_CLASS = `
kind: StorageClass
name: bk-fast
spec: { plugin: berth.local, reclaimPolicy: Delete, parameters: { pool: fast } }
`;

/** Each instance writes 8 MiB of its own random data once. */
const APP = (name: string, instances: number, extra = '', size = '128Mi') => `
kind: App
name: ${name}
spec:
  instances: ${instances}
  runtime: docker
  image: busybox:local
  command: ["sh", "-c", "[ -f /data/blob ] || head -c 8388608 /dev/urandom > /data/blob; echo $BERTH_INSTANCE > /data/id; exec sleep 100000"]
  resources: { cpu: 0.1, memory: 32Mi }
  hooks: { preSnapshot: ["sh", "-c", "sync; echo flushed"], postSnapshot: [] }
  volumes:
    - name: data
      mountPath: /data
      claim: { storageClass: bk-fast, size: ${size} }
${extra}`;

/** Total bytes of the files under `dir`. */
function treeBytes(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    n += s.isDirectory() ? treeBytes(p) : s.size;
  }
  return n;
}

describe('backup service: berth backup and schedule against a real server, agent, btrfs plugin and repository', function () {
  this.timeout(600_000);
  let cluster: TestCluster;
  let api: string;
  let node: NodeHandle;
  let location: string;

  /** The CLI with the repository passphrase in its environment (never on the command line). */
  const cli = (args: string[], passphrase = PASSPHRASE, input?: string): CliResult => {
    const r = spawnSync(process.execPath, [BERTH_BIN, '--server', api, ...tokenArgs(api), ...args], {
      encoding: 'utf8',
      input,
      timeout: 300_000,
      env: { ...process.env, BERTH_REPO_PASSPHRASE: passphrase },
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const backups = () => berthJson<{ items: Backup[] }>(api, ['backup', 'list']).items;
  const schedules = () => berthJson<{ items: Schedule[] }>(api, ['schedule', 'list']).items;
  const recoveryPoints = () => berthJson<{ items: unknown[] }>(api, ['get', 'snapshots']).items;
  const csiSnapshots = async () => (await node.plugin.client.controller('ListSnapshots', {})).entries.map((e) => e.snapshot!.snapshotId);
  const appEvents = (app: string) => berthJson<{ events: Event[] }>(api, ['describe', 'app', app]).events;
  const running = (app: string, n: number) => () => {
    const t = berthJson<{ items: { app: string; state: string }[] }>(api, ['get', 'tasks']).items.filter((x) => x.app === app);
    return t.length === n && t.every((x) => x.state === 'running');
  };
  const dataFile = (task: string, file: string) => join(node.stateDir, 'publish', task, 'data', file);
  const repoCheck = () => {
    const r = cli(['repo', 'check', '--location', location]);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^ok: /m);
  };
  const manifests = () => (existsSync(join(location, 'manifests')) ? readdirSync(join(location, 'manifests')) : []);
  const noChange = (what: () => unknown) => {
    const before = JSON.stringify(what());
    return () => assert.equal(JSON.stringify(what()), before, 'nothing changed');
  };

  before(async function () {
    skipWithoutDocker(this, available);
    // The failpoint pauses backups of app `crash` in `uploading`, so the server can be killed mid-backup.
    process.env.BERTH_FAILPOINTS = 'server.backup.before-upload@crash:60000';
    cluster = await startCluster('e2e-backup');
    delete process.env.BERTH_FAILPOINTS;
    ({ api } = cluster);
    location = join(cluster.dir, 'repo');
    node = await cluster.addNode('n1', '2G');
    const applied = berth(api, ['apply', '-f', '-'], `${STORAGE_CLASS}---${APP('db', 2)}`);
    assert.equal(applied.code, 0, applied.stderr);
    await waitFor('db running', running('db', 2), 180_000);
    for (const i of [0, 1]) await waitFor(`db-${i} data written`, () => existsSync(dataFile(`db-${i}`, 'id')));
  });

  after(async () => {
    await cluster?.stop();
  });

  it('refuses bad input with clear errors and creates nothing', async () => {
    const unchanged = noChange(() => [backups(), recoveryPoints()]);
    const noRepo = cli(['backup', 'create', 'db']);
    assert.equal(noRepo.code, 2, noRepo.stderr);
    assert.match(noRepo.stderr, /no backup repository is configured.*berth repo add/);

    const added = cli(['repo', 'add', 'main', '--location', location, '--init']);
    assert.equal(added.code, 0, added.stderr);
    const wrong = cli(['repo', 'add', 'other', '--location', location], 'not the passphrase');
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /wrong passphrase for the backup repository at/);
    assert.deepEqual(
      berthJson<{ items: { name: string }[] }>(api, ['repo', 'list']).items.map((r) => r.name),
      ['main'],
    );
    assert.ok(!`${wrong.stdout}${wrong.stderr}${added.stdout}`.includes(PASSPHRASE), 'the passphrase is never printed');
    assert.ok(!JSON.stringify(berthJson(api, ['repo', 'list'])).includes(PASSPHRASE), 'nor returned by the API');

    const unknownApp = cli(['backup', 'create', 'nope']);
    assert.equal(unknownApp.code, 3, unknownApp.stderr);
    assert.match(unknownApp.stderr, /app nope not found/);
    const unknownRepo = cli(['backup', 'create', 'db', '--repository', 'nope']);
    assert.equal(unknownRepo.code, 3, unknownRepo.stderr);
    assert.match(unknownRepo.stderr, /backup repository nope is not known to this cluster/);
    const unknownLocation = cli(['backup', 'create', 'db', '--location', '/nowhere']);
    assert.equal(unknownLocation.code, 3, unknownLocation.stderr);
    assert.match(unknownLocation.stderr, /no backup repository at \/nowhere is known to this cluster/);
    const both = cli(['backup', 'create', 'db', '--repository', 'main', '--location', location]);
    assert.equal(both.code, 2, both.stderr);

    // A claim larger than the pool is never provisioned: the app cannot be backed up.
    assert.equal(berth(api, ['apply', '-f', '-'], APP('unbound', 1, '', '50Gi')).code, 0);
    const unbound = cli(['backup', 'create', 'unbound']);
    assert.equal(unbound.code, 4, unbound.stderr);
    assert.match(unbound.stderr, /claim unbound\/data\/0 has no ready volume yet/);
    assert.equal(berth(api, ['delete', 'app', 'unbound']).code, 0);

    // The HTTP edge: bodies are validated by schema, errors come from the problem catalogue.
    const post = async (path: string, body: unknown) => {
      const res = await apiFetch(api, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { message: string } };
    };
    assert.equal((await post('/v1/apps/db/backups', { repo: 'main' })).status, 400);
    assert.equal((await post('/v1/apps/nope/backups', {})).status, 404);
    assert.equal((await post('/v1/schedules', { name: 's', app: 'db' })).status, 400);
    assert.equal((await post('/v1/schedules', { name: 's', app: 'db', cron: '0 2 * * *', keep: 0 })).status, 400);
    assert.equal((await apiFetch(api, '/v1/backups/not%20an%20id')).status, 400);
    assert.equal(cli(['backup', 'describe', '20260101T000000Z-00000000']).code, 3);
    assert.equal(cli(['backup', 'delete', '20260101T000000Z-00000000']).code, 3);
    unchanged();
  });

  it('validates schedules and app backup policies at the edge, and follows the app manifest', async () => {
    const unchanged = noChange(() => schedules());
    const cases: [string[], RegExp][] = [
      [['--cron', '0 25 * * *', '--keep', '2'], /cron: invalid cron expression "0 25 \* \* \*": hour "25" is out of range/],
      [['--cron', 'every day', '--keep', '2'], /cron: expected a cron expression/],
      [['--cron', '*/3 * * * * *', '--ttl', '3 weeks'], /ttl: expected a duration like 7d, 72h or 30m, got "3 weeks"/],
      [['--cron', '*/3 * * * * *', '--keep', '0'], /--keep must be a whole number ≥ 1/],
      [['--cron', '*/3 * * * * *'], /give keep, ttl or both/],
    ];
    for (const [args, message] of cases) {
      const r = cli(['schedule', 'create', 's1', '--app', 'db', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const noApp = cli(['schedule', 'create', 's1', '--app', 'nope', '--cron', '0 2 * * *', '--keep', '1']);
    assert.equal(noApp.code, 3, noApp.stderr);
    const badRepo = cli(['schedule', 'create', 's1', '--app', 'db', '--cron', '0 2 * * *', '--keep', '1', '--repository', 'nope']);
    assert.equal(badRepo.code, 3, badRepo.stderr);
    unchanged();

    // Policies: precise manifest errors, nothing applied.
    const badPolicy = berth(api, ['apply', '-f', '-'], APP('pol', 0, '  backup: { schedule: "0 25 * * *", keep: 0, ttl: 3 weeks }'));
    assert.equal(badPolicy.code, 2, badPolicy.stderr);
    assert.match(badPolicy.stderr, /spec\.backup\.schedule( \(line \d+\))?: invalid cron expression/);
    assert.match(badPolicy.stderr, /spec\.backup\.keep( \(line \d+\))?: expected a whole number ≥ 1, got 0/);
    assert.match(badPolicy.stderr, /spec\.backup\.ttl( \(line \d+\))?: expected a duration/);
    const unknownRepo = berth(api, ['apply', '-f', '-'], APP('pol', 0, '  backup: { schedule: "0 3 * * *", keep: 2, repository: nope }'));
    assert.equal(unknownRepo.code, 2, unknownRepo.stderr);
    assert.match(unknownRepo.stderr, /spec\.backup: backup repository nope is not known/);
    assert.equal(
      berthJson<{ items: { name: string }[] }>(api, ['get', 'apps']).items.some((a) => a.name === 'pol'),
      false,
      'nothing applied',
    );

    const ok = berth(api, ['apply', '-f', '-'], APP('pol', 0, '  backup: { schedule: "0 3 * * *", keep: 2, ttl: 72h, repository: main }'));
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(
      schedules().map((s) => [s.name, s.app, s.cron, s.repository, s.keep, s.ttlSeconds, s.fromApp]),
      [['pol-policy', 'pol', '0 3 * * *', 'main', 2, 72 * 3600, true]],
    );
    const del = cli(['schedule', 'delete', 'pol-policy']);
    assert.equal(del.code, 4, del.stderr);
    assert.match(del.stderr, /comes from app pol's backup policy/);
    assert.equal(berth(api, ['apply', '-f', '-'], APP('pol', 0, '  backup: { schedule: "30 3 * * *", keep: 3 }')).code, 0);
    assert.deepEqual(
      schedules().map((s) => [s.name, s.cron, s.keep, s.ttlSeconds]),
      [['pol-policy', '30 3 * * *', 3, undefined]],
    );
    assert.equal(berth(api, ['apply', '-f', '-'], APP('pol', 0)).code, 0);
    assert.deepEqual(schedules(), [], 'removing the policy removes its schedule');
    assert.equal(berth(api, ['apply', '-f', '-'], APP('pol', 0, '  backup: { schedule: "0 3 * * *", keep: 2 }')).code, 0);
    assert.equal(schedules().length, 1);
    assert.equal(berth(api, ['delete', 'app', 'pol']).code, 0);
    assert.deepEqual(schedules(), [], 'deleting the app removes its policy schedule');

    // Idempotent create, and delete.
    const first = berthJson<Schedule & { action: string }>(api, ['schedule', 'create', 'nightly', '--app', 'db', '--cron', '0 2 * * *', '--keep', '7']);
    assert.equal(first.action, 'created');
    assert.equal(first.repository, 'main', 'the only repository is the default');
    assert.equal(
      berthJson<{ action: string }>(api, ['schedule', 'create', 'nightly', '--app', 'db', '--cron', '0 2 * * *', '--keep', '7']).action,
      'unchanged',
    );
    assert.equal(berth(api, ['schedule', 'delete', 'nightly']).code, 0);
    assert.equal(berth(api, ['schedule', 'delete', 'nightly']).code, 3);
  });

  it('backs up a two-instance app with progress, then incrementally; the repository checks clean', async () => {
    const repoBytes = treeBytes(location);
    const first = cli(['backup', 'create', 'db', '--wait', '-o', 'json']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /uploading|ready/, 'progress lines on stderr (not a terminal)');
    const b1 = JSON.parse(first.stdout) as Backup;
    assert.equal(b1.state, 'ready');
    assert.deepEqual(
      b1.volumes.map((v) => [v.volume, v.claimId, v.state]),
      [
        ['data-0', 'db/data/0', 'done'],
        ['data-1', 'db/data/1', 'done'],
      ],
    );
    assert.ok(
      b1.volumes.every((v) => v.bytesTotal > 0 && (v.bytesNew ?? 0) >= 8 * MiB && v.changeMarker),
      JSON.stringify(b1.volumes),
    );
    // What it read, what was new after dedup, and what the repository grew by on disk.
    assert.equal(b1.bytesStored, treeBytes(location) - repoBytes, JSON.stringify(b1));
    assert.ok(b1.bytesRead! >= b1.bytesNew! && b1.bytesNew! >= 16 * MiB, JSON.stringify(b1));
    const volumesStored = b1.volumes.reduce((a, v) => a + (v.bytesStored ?? 0), 0);
    assert.ok(volumesStored > 0 && volumesStored < b1.bytesStored!, `the volumes stored all but the manifest (${volumesStored})`);
    const listed = backups();
    assert.deepEqual(
      listed.map((b) => [b.id, b.state, b.origin]),
      [[b1.id, 'ready', 'cluster']],
    );
    const described = berth(api, ['backup', 'describe', b1.id]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, new RegExp(`backup ${b1.id} of db in repository main: ready, app-consistent`));
    assert.match(described.stdout, /data-0\s+db\/data\/0\s+n1\s+done/);
    assert.match(described.stdout, /read \S+, new after dedup \S+, stored \S+ on disk/);
    assert.doesNotMatch(described.stdout, /repository grew/);
    // The hooks' output is part of the backup: in describe and in the backup's own events.
    assert.match(described.stdout, /preSnapshot in db-0: exit 0: flushed/);
    const hookEvents = berthJson<{ items: { object: string; reason: string; message: string }[] }>(api, ['get', 'events']).items.filter(
      (e) => e.object === `backup/${b1.id}` && e.reason === 'PreSnapshotHook',
    );
    assert.equal(hookEvents.length, 2, 'one per instance');
    assert.ok(
      hookEvents.every((e) => e.message.includes('output: flushed')),
      JSON.stringify(hookEvents),
    );
    assert.deepEqual(recoveryPoints(), [], 'the recovery point is deleted once the data is in the repository');
    assert.deepEqual(await csiSnapshots(), []);

    const second = cli(['backup', 'create', 'db', '--location', location, '--wait', '-o', 'json']);
    assert.equal(second.code, 0, second.stderr);
    const b2 = JSON.parse(second.stdout) as Backup;
    assert.equal(b2.parent, b1.id, 'incremental to the first');
    const bytesNew = b2.volumes.reduce((a, v) => a + (v.bytesNew ?? 0), 0);
    assert.ok(bytesNew < MiB, `the unchanged data is not stored again (${bytesNew} new bytes)`);
    assert.ok(b2.bytesStored! < MiB, `stored ${b2.bytesStored}`);
    assert.ok(appEvents('db').some((e) => e.reason === 'BackupCompleted' && e.message.includes(b2.id)));
    repoCheck();
  });

  it('repo prune reclaims the data of deleted backups and the repository checks clean', async () => {
    writeFileSync(dataFile('db-0', 'churn'), randomBytes(12 * MiB));
    const withChurn = JSON.parse(cli(['backup', 'create', 'db', '--wait', '-o', 'json']).stdout) as Backup;
    assert.equal(withChurn.state, 'ready');
    rmSync(dataFile('db-0', 'churn'));
    const without = JSON.parse(cli(['backup', 'create', 'db', '--wait', '-o', 'json']).stdout) as Backup;
    assert.equal(without.state, 'ready');
    assert.equal(cli(['backup', 'delete', withChurn.id]).code, 0);
    assert.equal(
      backups().some((b) => b.id === withChurn.id),
      false,
    );
    const before = treeBytes(location);
    const pruned = cli(['repo', 'prune', '--location', location]);
    assert.equal(pruned.code, 0, pruned.stderr);
    const after = treeBytes(location);
    assert.ok(before - after >= 8 * MiB, `prune shrank the repository by ${before - after} bytes`);
    repoCheck();
  });

  it('a schedule every 3 s with keep 2 keeps exactly the 2 newest backups of that schedule', async () => {
    const created = cli(['schedule', 'create', 'often', '--app', 'db', '--cron', '*/3 * * * * *', '--keep', '2']);
    assert.equal(created.code, 0, created.stderr);
    const started = () =>
      berthJson<{ items: Event[] }>(api, ['get', 'events']).items.filter((e) => e.reason === 'BackupStarted' && e.message.includes('(schedule often)')).length;
    await waitFor('4 scheduled backups started', () => started() >= 4, 120_000);
    // Retention runs after each backup of the schedule becomes ready: between two, exactly `keep` are left.
    const ofSchedule = () => backups().filter((b) => b.schedule === 'often');
    await waitFor(
      'exactly 2 ready backups of the schedule, none running',
      () => {
        const b = ofSchedule();
        return b.every((x) => x.state === 'ready' || x.state === 'failed') && b.filter((x) => x.state === 'ready').length === 2;
      },
      120_000,
    );
    assert.equal(berth(api, ['schedule', 'delete', 'often']).code, 0);
    assert.ok(berthJson<{ items: Event[] }>(api, ['get', 'events']).items.some((e) => e.reason === 'RetentionApplied' && e.object === 'schedule/often'));
    await waitFor('the last scheduled backup settled', () => ofSchedule().every((x) => x.state === 'ready' || x.state === 'failed'), 120_000);
    repoCheck();
  });

  it('a server killed during a backup: after restart the backup is failed, no recovery point or CSI snapshot is left, the repository checks', async () => {
    assert.equal(berth(api, ['apply', '-f', '-'], APP('crash', 1)).code, 0);
    await waitFor('crash running', running('crash', 1), 180_000);
    const before = await csiSnapshots();
    const r = cli(['backup', 'create', 'crash', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const b = JSON.parse(r.stdout) as Backup;
    await waitFor('backup uploading', () => berthJson<Backup>(api, ['backup', 'describe', b.id]).state === 'uploading', 60_000);
    assert.equal(recoveryPoints().length, 1, 'its recovery point exists while it runs');
    assert.equal((await csiSnapshots()).length, before.length + 1);
    await cluster.restartServer('SIGKILL');
    const failed = await waitFor(
      'backup failed after the restart',
      () => {
        const x = berthJson<Backup>(api, ['backup', 'describe', b.id]);
        return x.state === 'failed' && x;
      },
      60_000,
    );
    assert.match(failed.message ?? '', /interrupted by a server restart/);
    await waitFor('recovery point deleted', () => recoveryPoints().length === 0, 60_000);
    assert.deepEqual(await csiSnapshots(), before, 'no CSI snapshot left');
    assert.ok(appEvents('crash').some((e) => e.reason === 'BackupFailed' && e.message.includes(b.id)));
    assert.ok(!manifests().includes(b.id), 'nothing committed');
    repoCheck();
    assert.equal(berth(api, ['delete', 'app', 'crash']).code, 0);
  });

  it('schedules are restarted from their records after a server restart', async () => {
    const created = cli(['schedule', 'create', 'survivor', '--app', 'db', '--cron', '*/2 * * * * *', '--keep', '1']);
    assert.equal(created.code, 0, created.stderr);
    await cluster.restartServer();
    const since = Date.now();
    const firings = () =>
      berthJson<{ items: (Event & { time: string })[] }>(api, ['get', 'events']).items.filter(
        (e) => e.reason === 'BackupStarted' && e.message.includes('(schedule survivor)') && Date.parse(e.time) >= since - 1000,
      ).length;
    await waitFor('the schedule fires after the restart', () => firings() >= 1, 30_000);
    assert.equal(berth(api, ['schedule', 'delete', 'survivor']).code, 0);
    await waitFor('its backups settled', () => backups().every((b) => b.state === 'ready' || b.state === 'failed'), 120_000);
    assert.deepEqual(schedules(), []);
  });
});
