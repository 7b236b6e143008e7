/**
 * Docker multiplexes stdout and stderr of a non-TTY container into frames: 8-byte header
 * (stream type, 3 zero bytes, big-endian payload length) then the payload. Logs and exec output both
 * arrive this way; we keep the interleaving and drop the headers.
 */
export function demuxDockerStream(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    const length = buffer.readUInt32BE(offset + 4);
    if (type > 2 || buffer[offset + 1] !== 0 || buffer[offset + 2] !== 0 || buffer[offset + 3] !== 0) {
      // Not framed (a TTY container): the rest is raw text.
      parts.push(buffer.subarray(offset));
      offset = buffer.length;
      break;
    }
    parts.push(buffer.subarray(offset + 8, Math.min(offset + 8 + length, buffer.length)));
    offset += 8 + length;
  }
  if (offset < buffer.length) parts.push(buffer.subarray(offset));
  return Buffer.concat(parts).toString('utf8');
}

/** Collects a readable stream into one buffer. */
export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('close', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
