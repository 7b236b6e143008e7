import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The last `lines` lines of a file (all of it when `lines` is undefined), reading backwards in
 * chunks so a large log costs only what is returned.
 */
export function tailFile(path: string, lines?: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (lines === undefined) {
      const all = Buffer.alloc(size);
      readSync(fd, all, 0, size, 0);
      return all.toString('utf8');
    }
    if (lines <= 0) return '';
    const chunk = 64 * 1024;
    let position = size;
    let collected = Buffer.alloc(0);
    let newlines = 0;
    // One extra newline: the file normally ends with one, which does not start a new line.
    while (position > 0 && newlines <= lines) {
      const length = Math.min(chunk, position);
      position -= length;
      const buf = Buffer.alloc(length);
      readSync(fd, buf, 0, length, position);
      for (const byte of buf) if (byte === 0x0a) newlines++;
      collected = Buffer.concat([buf, collected]);
    }
    const text = collected.toString('utf8');
    const parts = text.split('\n');
    const trailing = parts[parts.length - 1] === '' ? parts.pop() : undefined;
    const kept = parts.slice(-lines).join('\n');
    return trailing === undefined ? kept : `${kept}\n`;
  } finally {
    closeSync(fd);
  }
}
