import { strict as assert } from 'node:assert';
import { progressLine } from './backup-create-commands';
import type { Backup } from './backup-create-commands';

const backup = (state: Backup['state'], progress: Backup['progress']): Backup => ({
  id: 'b',
  app: 'db',
  repository: 'main',
  state,
  volumes: [],
  startedAt: '2026-01-01T00:00:00Z',
  origin: 'cluster',
  progress,
});

describe('berth backup create --wait: plain progress lines', () => {
  it('shows bytes, files, rate and ETA while uploading, and only totals once done', () => {
    assert.equal(
      progressLine(
        backup('uploading', { bytesDone: 3 * 1024 * 1024, bytesTotal: 12 * 1024 * 1024, filesDone: 7, bytesPerSecond: 1024 * 1024, etaSeconds: 95 }),
      ),
      'uploading: 3Mi/12Mi, 7 files, 1Mi/s, ETA 1m35s',
    );
    assert.equal(progressLine(backup('snapshotting', { bytesDone: 0, bytesTotal: 0, filesDone: 0 })), 'snapshotting: 0B/0B, 0 files');
    assert.equal(
      progressLine(backup('ready', { bytesDone: 1536, bytesTotal: 1536, filesDone: 2, bytesPerSecond: 512 })),
      'ready: 1.5Ki/1.5Ki, 2 files, 512B/s',
    );
    assert.match(progressLine(backup('uploading', { bytesDone: 1, bytesTotal: 2, filesDone: 0, bytesPerSecond: 1, etaSeconds: 7300 })), /ETA 2h1m$/);
  });
});
