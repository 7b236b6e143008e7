import assert from 'node:assert/strict';
import { blockImageIn, decodeSnapshotDirs, encodeSnapshotDirs, snapshotPathIn } from './fast-path';

describe('lib/berth-local fast-path contract', () => {
  it('reads back the snapshot directories berth.local lists, and only absolute paths', () => {
    const dirs = ['/var/lib/berth/pools/a/snapshots', '/mnt/b/snapshots'];
    assert.deepEqual(decodeSnapshotDirs(encodeSnapshotDirs(dirs)), dirs);
    assert.deepEqual(decodeSnapshotDirs(JSON.stringify(['relative/snapshots', 7, '/ok'])), ['/ok']);
    for (const garbage of [undefined, '', 'not json', '{"a":1}', '"/x"']) assert.deepEqual(decodeSnapshotDirs(garbage), [], String(garbage));
  });

  it('names a snapshot and a block image the way both sides expect', () => {
    assert.equal(snapshotPathIn('/p/snapshots', 'snap-0123456789abcdef'), '/p/snapshots/snap-0123456789abcdef');
    assert.equal(blockImageIn('/p/volumes/vol-1'), '/p/volumes/vol-1/block.img');
  });
});
