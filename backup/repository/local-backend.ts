import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { Backend, ObjectExistsError, ObjectMissingError } from './backend';
import { PRIVATE_DIR, PRIVATE_FILE } from '../../lib/files/private-files';

/** Temporary files carry this prefix so a crash's leftovers are recognisable (and listed by nobody). */
export const TEMP_PREFIX = '.tmp-';

/**
 * A repository on a local path or a mounted NFS share. Every write goes temp file → fsync → rename →
 * fsync of the directory, so an object is either absent or complete, also across a power cut.
 */
export class LocalBackend implements Backend {
  constructor(readonly location: string) {}

  private path(name: string): string {
    return join(this.location, ...name.split('/'));
  }

  async read(name: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.path(name));
    } catch (error) {
      throw mapMissing(error, name);
    }
  }

  async readRange(name: string, offset: number, length: number): Promise<Buffer> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.path(name), 'r');
    } catch (error) {
      throw mapMissing(error, name);
    }
    try {
      const buffer = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) throw new Error(`object ${name} is shorter than ${offset + length} bytes`);
        done += bytesRead;
      }
      return buffer;
    } finally {
      await handle.close();
    }
  }

  async write(name: string, data: Buffer | readonly Buffer[]): Promise<void> {
    const temp = await this.writeTemp(name, data);
    await fs.rename(temp, this.path(name));
    await syncDir(dirname(this.path(name)));
  }

  async create(name: string, data: Buffer): Promise<void> {
    const temp = await this.writeTemp(name, data);
    try {
      // link() fails with EEXIST instead of replacing: an atomic create-if-absent on POSIX filesystems and NFSv3.
      await fs.link(temp, this.path(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ObjectExistsError(name);
      throw error;
    } finally {
      await fs.rm(temp, { force: true });
    }
    await syncDir(dirname(this.path(name)));
  }

  async exists(name: string): Promise<boolean> {
    return (await this.size(name)) !== undefined;
  }

  async size(name: string): Promise<number | undefined> {
    try {
      return (await fs.stat(this.path(name))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const root = this.path(prefix);
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        if (entry.name.startsWith(TEMP_PREFIX)) continue;
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else out.push(relative(this.location, full).split(sep).join('/'));
      }
    };
    await walk(root);
    return out;
  }

  async removeTemporary(olderThanMs: number): Promise<string[]> {
    const removed: string[] = [];
    const cutoff = Date.now() - olderThanMs;
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.name.startsWith(TEMP_PREFIX)) {
          const stat = await fs.stat(full).catch(() => undefined);
          if (stat && stat.mtimeMs < cutoff) {
            await fs.rm(full, { force: true });
            removed.push(relative(this.location, full).split(sep).join('/'));
          }
        }
      }
    };
    await walk(this.location);
    return removed;
  }

  async delete(name: string): Promise<void> {
    await fs.rm(this.path(name), { force: true });
  }

  async rename(from: string, to: string): Promise<void> {
    await fs.mkdir(dirname(this.path(to)), { recursive: true, mode: PRIVATE_DIR });
    await fs.rename(this.path(from), this.path(to));
    await syncDir(dirname(this.path(to)));
  }

  /** Writes and fsyncs a temporary file next to the target (same filesystem, so rename is atomic). */
  private async writeTemp(name: string, data: Buffer | readonly Buffer[]): Promise<string> {
    const target = this.path(name);
    const dir = dirname(target);
    // Owner-only whatever the umask: keys/ holds the wrapped master key, the rest is the data.
    await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
    const temp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const handle = await fs.open(temp, 'wx', PRIVATE_FILE);
    try {
      const buffers = Buffer.isBuffer(data) ? [data] : data;
      await handle.writev(buffers as Buffer[]);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fs.rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    return temp;
  }
}

/** fsync of a directory makes a rename in it durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function mapMissing(error: unknown, name: string): unknown {
  return (error as NodeJS.ErrnoException).code === 'ENOENT' ? new ObjectMissingError(name) : error;
}
