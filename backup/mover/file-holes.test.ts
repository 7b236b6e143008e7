import assert from 'node:assert/strict';
import { parseHoles } from './file-holes';

const MiB = 1024 * 1024;

describe('data mover: holes of a block image (filefrag -e)', () => {
  it('lists the byte ranges no extent covers, up to the file size', () => {
    const output = `Filesystem type is: 9123683e
File size of f is 8388608 (2048 blocks of 4096 bytes)
 ext:     logical_offset:        physical_offset: length:   expected: flags:
   0:        0..     255:       3328..      3583:    256:
   1:      768..    1535:       4096..      4863:    768:       3584:
f: 2 extents found
`;
    assert.deepEqual(parseHoles(output), [
      { offset: MiB, length: 2 * MiB },
      { offset: 6 * MiB, length: 2 * MiB },
    ]);
  });

  it('a file without extents is one hole; a fully written one has none', () => {
    assert.deepEqual(parseHoles('Filesystem type is: ef53\nFile size of e is 12288 (3 blocks of 4096 bytes)\ne: 0 extents found\n'), [
      { offset: 0, length: 12288 },
    ]);
    assert.deepEqual(
      parseHoles(
        'Filesystem type is: 58465342\nFile size of g is 4096 (1 block of 4096 bytes)\n ext: logical_offset: physical_offset: length: expected: flags:\n   0:        0..       0:       9..         9:      1:             last,eof\ng: 1 extent found\n',
      ),
      [],
    );
  });

  it('refuses output it cannot read, and filesystems whose answer may be FIBMAP\'s "no block" for data', () => {
    assert.throws(() => parseHoles('filefrag: Operation not supported\n'));
    // FUSE (virtiofs, sshfs…): no FIEMAP; the FIBMAP fallback lists no block for written data either.
    assert.throws(
      () => parseHoles('Filesystem type is: 65735546\nFile size of f is 8388608 (2048 blocks of 4096 bytes)\nf: 0 extents found\n'),
      /btrfs, ext4 and xfs/,
    );
    assert.throws(() => parseHoles('Filesystem type is: 9123683e\nFile size of f is 8388608 (2048 blocks of 4096 bytes)\n'), /extent count/);
  });
});
