import { strict as assert } from 'node:assert';
import { parseDurationSeconds, cronProblem } from '../../core/manifests';
import { chooseParent, computeProgress, forEachLimited, selectExpired } from './backup-policy';
import type { BackupRecord, BackupVolumeRecord } from '../store/records';

const vol = (over: Partial<BackupVolumeRecord> = {}): BackupVolumeRecord => ({
  volume: 'data-0',
  claimId: 'db/data/0',
  template: 'data',
  instance: 0,
  plugin: 'berth.local',
  block: false,
  sourceVolumeId: 'vol-a',
  sourceCsiVolumeId: 'csi-a',
  state: 'done',
  bytesDone: 0,
  bytesTotal: 0,
  filesDone: 0,
  ...over,
});
const backup = (id: string, startedAt: string, over: Partial<BackupRecord> = {}): BackupRecord => ({
  id,
  app: 'db',
  repository: 'main',
  state: 'ready',
  volumes: [vol({ changeMarker: `m-${id}` })],
  startedAt,
  ...over,
});

describe('backup policy: parents, retention, progress, ttl and cron parsing', () => {
  it('parses ttl durations and refuses zero, units it does not know and junk', () => {
    assert.equal(parseDurationSeconds('72h'), 72 * 3600);
    assert.equal(parseDurationSeconds('30m'), 1800);
    assert.equal(parseDurationSeconds('7d'), 7 * 86400);
    assert.equal(parseDurationSeconds('1d12h30m5s'), 86400 + 12 * 3600 + 30 * 60 + 5);
    for (const bad of ['0h', '', '7w', '3 weeks', 'h', '-1d', '1.5h']) assert.equal(parseDurationSeconds(bad), undefined, bad);
  });

  it('accepts 5- and 6-field cron expressions and names the field out of range', () => {
    assert.equal(cronProblem('*/3 * * * * *'), undefined);
    assert.equal(cronProblem('0 2 * * *'), undefined);
    assert.equal(cronProblem('0 2 * * 1-5'), undefined);
    assert.match(cronProblem('0 25 * * *')!, /hour "25" is out of range/);
    assert.match(cronProblem('61 * * * * *')!, /second "61" is out of range/);
    assert.match(cronProblem('every day')!, /expected a cron expression/);
    assert.match(cronProblem('* * *')!, /expected a cron expression/);
  });

  it('chooses as parent the newest ready backup of the same source volume in the same repository', () => {
    const backups = [
      backup('b1', '2026-01-01T00:00:00Z'),
      backup('b2', '2026-01-02T00:00:00Z'),
      backup('b3', '2026-01-03T00:00:00Z', { state: 'failed' }),
      backup('b4', '2026-01-04T00:00:00Z', { state: 'uploading' }),
      backup('b5', '2026-01-05T00:00:00Z', { repository: 'other' }),
      backup('b6', '2026-01-06T00:00:00Z', { volumes: [vol({ sourceVolumeId: 'vol-b', changeMarker: 'mb' })] }),
    ];
    assert.deepEqual(chooseParent(backups, 'main', 'vol-a'), { backupId: 'b2', changeMarker: 'm-b2' });
    assert.deepEqual(chooseParent(backups, 'main', 'vol-b'), { backupId: 'b6', changeMarker: 'mb' });
    assert.deepEqual(chooseParent(backups, 'other', 'vol-a'), { backupId: 'b5', changeMarker: 'm-b5' });
    assert.equal(chooseParent(backups, 'main', 'vol-c'), undefined, 'a new volume gets a full backup');
    assert.equal(chooseParent([backup('b7', '2026-01-07T00:00:00Z', { volumes: [vol()] })], 'main', 'vol-a'), undefined, 'no change marker: no parent');
  });

  it('retention keeps the newest N ready backups of the schedule (its app, its repository) and deletes those past the ttl', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    const backups = [
      backup('s1', '2026-01-01T00:00:00Z', { schedule: 's' }),
      backup('s2', '2026-01-08T00:00:00Z', { schedule: 's' }),
      backup('s3', '2026-01-09T00:00:00Z', { schedule: 's', state: 'failed' }),
      backup('s4', '2026-01-09T12:00:00Z', { schedule: 's' }),
      backup('s5', '2026-01-09T18:00:00Z', { schedule: 's', state: 'uploading' }),
      backup('o1', '2025-01-01T00:00:00Z', { schedule: 'other' }),
      backup('m1', '2025-01-01T00:00:00Z'),
      // The same schedule name once pointed at another app, and at another repository: never counted.
      backup('w1', '2026-01-09T20:00:00Z', { schedule: 's', app: 'web' }),
      backup('r1', '2026-01-09T21:00:00Z', { schedule: 's', repository: 'offsite' }),
    ];
    const ids = (p: { keep?: number; ttlSeconds?: number }) =>
      selectExpired(backups, { name: 's', app: 'db', repository: 'main' }, p, now)
        .map((b) => b.id)
        .sort();
    assert.deepEqual(ids({ keep: 2 }), ['s1']);
    assert.deepEqual(ids({ keep: 1 }), ['s1', 's2']);
    assert.deepEqual(ids({ keep: 5 }), []);
    assert.deepEqual(ids({ ttlSeconds: 3 * 86400 }), ['s1']);
    assert.deepEqual(ids({ keep: 5, ttlSeconds: 12 * 3600 }), ['s1', 's2']);
    assert.deepEqual(ids({}), [], 'no policy deletes nothing');
  });

  it('computes bytes, rate and ETA of a running backup, and no ETA once finished', () => {
    const started = Date.parse('2026-01-01T00:00:00Z');
    const running = {
      state: 'uploading' as const,
      volumes: [vol({ bytesDone: 30, bytesTotal: 100, filesDone: 3 }), vol({ bytesDone: 10, bytesTotal: 100, filesDone: 1 })],
    };
    const p = computeProgress(running, started, started + 4000);
    assert.deepEqual(p, { bytesDone: 40, bytesTotal: 200, filesDone: 4, fraction: 0.2, bytesPerSecond: 10, etaSeconds: 16 });
    const done = computeProgress({ ...running, state: 'ready', finishedAt: new Date(started + 8000).toISOString() }, started, started + 60_000);
    assert.equal(done.bytesPerSecond, 5);
    assert.equal(done.etaSeconds, undefined);
    assert.deepEqual(computeProgress({ state: 'snapshotting', volumes: [] }, undefined, started), { bytesDone: 0, bytesTotal: 0, filesDone: 0 });
  });

  it('runs at most `limit` at a time and stops starting new work when asked', async () => {
    let active = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimited(
      [1, 2, 3, 4, 5, 6, 7],
      3,
      async (n) => {
        active++;
        peak = Math.max(peak, active);
        seen.push(n);
        await new Promise((r) => setTimeout(r, 5));
        active--;
      },
      () => false,
    );
    assert.equal(peak, 3);
    assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7]);
    const started: number[] = [];
    await forEachLimited(
      [1, 2, 3, 4, 5],
      2,
      async (n) => {
        started.push(n);
        await new Promise((r) => setTimeout(r, 5));
      },
      () => started.includes(2),
    );
    assert.deepEqual(started.sort(), [1, 2]);
  });
});
