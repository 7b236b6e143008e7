import { Backend } from './backend';
import { AuthenticationError, MasterKey, open, seal } from './crypto';
import { CorruptObjectError } from './errors';
import { BlobEntry, decodeEntries, encodeEntries, packObjectName, sha256Hex } from './pack-format';

/**
 * Index files map blob id → (pack, offset, length, codec). One index file is written per batch of
 * packs, always after those packs are durable, so an index never points at a missing pack. All
 * index files are loaded into memory at open (`BlobIndex`). A pack no index mentions is garbage
 * from an interrupted writer; prune removes it.
 *
 * Sealed body: "BERTHIX1" ‖ u32 pack count ‖ per pack: pack id (32 bytes) ‖ entry list (pack-format).
 * Object name: `index/<sha256 of the sealed bytes>`.
 */

const INDEX_MAGIC = Buffer.from('BERTHIX1');

export interface IndexedPack {
  packId: string;
  entries: BlobEntry[];
}

/** Where a blob lives, as the in-memory index keeps it. */
export interface BlobLocation {
  packId: string;
  entry: BlobEntry;
}

export function encodeIndex(packs: readonly IndexedPack[]): Buffer {
  const parts: Buffer[] = [INDEX_MAGIC, Buffer.alloc(4)];
  parts[1].writeUInt32LE(packs.length, 0);
  for (const pack of packs) {
    parts.push(Buffer.from(pack.packId, 'hex'), encodeEntries(pack.entries));
  }
  return Buffer.concat(parts);
}

export function decodeIndex(body: Buffer): IndexedPack[] {
  if (body.length < 12 || !body.subarray(0, 8).equals(INDEX_MAGIC)) throw new Error('not an index');
  const count = body.readUInt32LE(8);
  let at = 12;
  const packs: IndexedPack[] = [];
  for (let i = 0; i < count; i++) {
    if (body.length < at + 32) throw new Error('truncated index');
    const packId = body.subarray(at, at + 32).toString('hex');
    const { entries, next } = decodeEntries(body, at + 32);
    packs.push({ packId, entries });
    at = next;
  }
  return packs;
}

export async function writeIndexFile(backend: Backend, key: MasterKey, packs: readonly IndexedPack[]): Promise<string> {
  const sealed = seal(key.dataKey, 'index', encodeIndex(packs));
  const name = `index/${sha256Hex([sealed])}`;
  await backend.write(name, sealed);
  return name;
}

export async function readIndexFile(backend: Backend, key: MasterKey, name: string): Promise<IndexedPack[]> {
  const sealed = await backend.read(name);
  try {
    return decodeIndex(open(key.dataKey, 'index', sealed));
  } catch (error) {
    throw new CorruptObjectError(name, error instanceof AuthenticationError ? 'authentication failed' : String(error));
  }
}

/** The in-memory index: every blob of every indexed pack, loaded at open and refreshed under a lock. */
export class BlobIndex {
  private readonly blobs = new Map<string, BlobLocation>();
  private readonly packs = new Map<string, BlobEntry[]>();
  /** Index object names whose contents are loaded. */
  readonly files = new Set<string>();

  add(pack: IndexedPack): void {
    if (this.packs.has(pack.packId)) return;
    this.packs.set(pack.packId, pack.entries);
    for (const entry of pack.entries) {
      // The same blob may sit in two packs (two writers raced, or a repack was interrupted):
      // either copy is good, keep the first.
      const id = entry.id.toString('hex');
      if (!this.blobs.has(id)) this.blobs.set(id, { packId: pack.packId, entry });
    }
  }

  has(id: string): boolean {
    return this.blobs.has(id);
  }

  get(id: string): BlobLocation | undefined {
    return this.blobs.get(id);
  }

  packIds(): string[] {
    return [...this.packs.keys()];
  }

  packEntries(packId: string): BlobEntry[] | undefined {
    return this.packs.get(packId);
  }

  get blobCount(): number {
    return this.blobs.size;
  }

  /** Reads index files not loaded yet (written by other processes since open). */
  async refresh(backend: Backend, key: MasterKey): Promise<void> {
    for (const name of await backend.list('index')) {
      if (this.files.has(name)) continue;
      for (const pack of await readIndexFile(backend, key, name)) this.add(pack);
      this.files.add(name);
    }
  }

  /** Rebuilt from scratch: after a prune, packs disappear and the old map must not survive. */
  static async load(backend: Backend, key: MasterKey): Promise<BlobIndex> {
    const index = new BlobIndex();
    await index.refresh(backend, key);
    return index;
  }
}

export { packObjectName };
