import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ContentDefinedChunker, DEFAULT_CHUNKER, gearTable } from './chunker';
import { sha256 } from './test-helpers';

async function* pieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function chunk(chunker: ContentDefinedChunker, data: Buffer, readSize = 65536): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of chunker.chunks(pieces(data, readSize))) out.push(c);
  return out;
}

describe('content-defined chunker', function () {
  this.timeout(60_000);
  const chunker = new ContentDefinedChunker(gearTable(randomBytes(32)));
  const data = randomBytes(24 * 1024 * 1024);

  it('cuts within the size bounds, the same way whatever the read size', async () => {
    const a = await chunk(chunker, data, 65536);
    const b = await chunk(chunker, data, 3 * 1024 * 1024 + 1);
    assert.deepEqual(
      a.map((c) => c.length),
      b.map((c) => c.length),
    );
    assert.equal(Buffer.concat(a).equals(data), true);
    for (const c of a.slice(0, -1)) assert.ok(c.length >= DEFAULT_CHUNKER.minSize && c.length <= DEFAULT_CHUNKER.maxSize);
    const average = data.length / a.length;
    assert.ok(average > 512 * 1024 && average < 2 * 1024 * 1024, `average chunk ${average}`);
  });

  it('re-synchronises after an insertion: only chunks around it change', async () => {
    const before = new Set((await chunk(chunker, data)).map(sha256));
    const edited = Buffer.concat([data.subarray(0, 5_000_000), Buffer.from('inserted bytes'), data.subarray(5_000_000)]);
    const after = (await chunk(chunker, edited)).map(sha256);
    const changed = after.filter((h) => !before.has(h)).length;
    assert.ok(changed <= 2, `${changed} of ${after.length} chunks changed`);
  });

  it('different keys cut differently (boundaries are no fingerprint)', async () => {
    const other = new ContentDefinedChunker(gearTable(randomBytes(32)));
    const a = (await chunk(chunker, data)).map((c) => c.length);
    const b = (await chunk(other, data)).map((c) => c.length);
    assert.notDeepEqual(a, b);
  });
});
