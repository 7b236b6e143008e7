import { Backend } from './backend';
import { decodeBlockMap } from './block-map';
import { MasterKey } from './crypto';
import { decodeFileTree } from './file-tree';
import { BlobIndex, IndexedPack, readIndexFile } from './index-file';
import { listManifestIds, readManifest, BackupManifest } from './manifest';
import { BlobEntry, packIdFromObjectName, packObjectName } from './pack-format';
import { BlobReader, ParsedPack, openBlob, readPack } from './pack-reader';

/**
 * `repo check`: reads everything and reports what is damaged, never changing anything.
 *
 *   1. every index file decrypts and parses;
 *   2. every pack file: structure, header authentication, every blob decrypted, decompressed and
 *      re-hashed to its id; every index entry agrees with the pack's own header;
 *   3. every manifest decrypts; every tree it names reads back; every chunk a tree references is
 *      indexed and intact.
 *
 * A damaged pack is reported once, with every backup / volume / file (or image offset) that needs
 * one of its blobs. Packs that no index lists are warnings: an interrupted backup left them, and
 * prune removes them.
 */

export interface AffectedData {
  backupId: string;
  volume: string;
  /** A file path, `(volume tree)` for the volume's metadata, or absent for block volumes. */
  file?: string;
  /** For block volumes: image offset of the first affected extent. */
  offset?: number;
}

export interface CheckProblem {
  severity: 'error' | 'warning';
  /** Repository object concerned (`data/…` pack, `index/…`, `manifests/…`). */
  object: string;
  message: string;
  affected: AffectedData[];
}

export interface CheckReport {
  ok: boolean;
  problems: CheckProblem[];
  packsChecked: number;
  blobsChecked: number;
  bytesChecked: number;
  backupsChecked: number;
}

export async function checkRepository(backend: Backend, key: MasterKey): Promise<CheckReport> {
  const report: CheckReport = { ok: true, problems: [], packsChecked: 0, blobsChecked: 0, bytesChecked: 0, backupsChecked: 0 };
  const problem = (p: Omit<CheckProblem, 'affected'> & { affected?: AffectedData[] }): CheckProblem => {
    const full = { affected: [], ...p };
    report.problems.push(full);
    return full;
  };

  // 1. Index files.
  const index = new BlobIndex();
  const indexedEntries = new Map<string, BlobEntry[]>(); // pack id → entries, merged over index files
  for (const name of await backend.list('index')) {
    let packs: IndexedPack[];
    try {
      packs = await readIndexFile(backend, key, name);
    } catch (error) {
      problem({ severity: 'error', object: name, message: `index file is unreadable: ${(error as Error).message}` });
      continue;
    }
    for (const pack of packs) {
      index.add(pack);
      indexedEntries.set(pack.packId, [...(indexedEntries.get(pack.packId) ?? []), ...pack.entries]);
    }
  }

  // 2. Packs.
  const damagedBlobs = new Map<string, { pack: string; problem: CheckProblem }>();
  const packProblems = new Map<string, CheckProblem>();
  const onDisk = new Set<string>();
  for (const name of await backend.list('data')) {
    const packId = packIdFromObjectName(name);
    if (!packId) {
      problem({ severity: 'warning', object: name, message: 'unexpected object in data/' });
      continue;
    }
    onDisk.add(packId);
    report.packsChecked++;
    const indexed = indexedEntries.get(packId) ?? [];
    const damagedPack = (message: string): CheckProblem => {
      const p = packProblems.get(packId) ?? problem({ severity: 'error', object: name, message });
      packProblems.set(packId, p);
      return p;
    };
    let parsed: ParsedPack;
    try {
      parsed = await readPack(backend, key, packId);
    } catch (error) {
      const p = damagedPack(`pack is damaged: ${(error as Error).message}`);
      for (const entry of indexed) damagedBlobs.set(entry.id.toString('hex'), { pack: name, problem: p });
      continue;
    }
    report.bytesChecked += parsed.bytes.length;
    const inHeader = new Map<string, BlobEntry>();
    for (const entry of parsed.entries) {
      report.blobsChecked++;
      const id = entry.id.toString('hex');
      inHeader.set(id, entry);
      try {
        openBlob(key, entry, parsed.bytes.subarray(entry.offset, entry.offset + entry.length), true);
      } catch (error) {
        const p = damagedPack(`pack is damaged: blob ${id.slice(0, 16)} at offset ${entry.offset} fails verification (${(error as Error).message})`);
        damagedBlobs.set(id, { pack: name, problem: p });
      }
    }
    if (!indexedEntries.has(packId)) {
      problem({ severity: 'warning', object: name, message: 'pack is not in any index (left by an interrupted backup or prune; prune removes it)' });
    }
    for (const entry of indexed) {
      const own = inHeader.get(entry.id.toString('hex'));
      if (!own || own.offset !== entry.offset || own.length !== entry.length) {
        const p = damagedPack(`index entry for blob ${entry.id.toString('hex').slice(0, 16)} does not match the pack's header`);
        damagedBlobs.set(entry.id.toString('hex'), { pack: name, problem: p });
      }
    }
  }
  for (const [packId, entries] of indexedEntries) {
    if (onDisk.has(packId)) continue;
    const name = packObjectName(packId);
    const p = problem({ severity: 'error', object: name, message: 'pack listed in the index is missing' });
    packProblems.set(packId, p);
    for (const entry of entries) damagedBlobs.set(entry.id.toString('hex'), { pack: name, problem: p });
  }

  // 3. Manifests and what they reference.
  const reader = new BlobReader(backend, key, index);
  for (const backupId of await listManifestIds(backend)) {
    let manifest: BackupManifest;
    try {
      manifest = await readManifest(backend, key, backupId);
    } catch (error) {
      problem({
        severity: 'error',
        object: `manifests/${backupId}`,
        message: `manifest is unreadable: ${(error as Error).message}`,
        affected: [{ backupId, volume: '*' }],
      });
      continue;
    }
    report.backupsChecked++;
    for (const volume of manifest.volumes) {
      const treeDamage = damagedBlobs.get(volume.tree);
      if (treeDamage || !index.has(volume.tree)) {
        const affected = { backupId, volume: volume.name, file: '(volume tree)' };
        if (treeDamage) treeDamage.problem.affected.push(affected);
        else problem({ severity: 'error', object: `manifests/${backupId}`, message: `volume ${volume.name}: its tree blob is missing`, affected: [affected] });
        continue;
      }
      const missing: AffectedData[] = [];
      const noteChunk = (chunk: string, where: AffectedData): void => {
        const damage = damagedBlobs.get(chunk);
        if (damage) {
          // One entry per file (or per volume for images) is enough to name what is lost.
          const seen = damage.problem.affected.some((a) => a.backupId === where.backupId && a.volume === where.volume && a.file === where.file);
          if (!seen) damage.problem.affected.push(where);
        } else if (!index.has(chunk) && !missing.some((m) => m.file === where.file)) {
          missing.push(where);
        }
      };
      try {
        const tree = await reader.read(volume.tree);
        if (volume.kind === 'files') {
          for (const file of decodeFileTree(tree).files)
            for (const chunk of file.chunks ?? []) noteChunk(chunk.id, { backupId, volume: volume.name, file: file.path });
        } else {
          let offset = 0;
          for (const extent of decodeBlockMap(tree).extents) {
            noteChunk(extent.chunk, { backupId, volume: volume.name, offset });
            offset += extent.length;
          }
        }
      } catch (error) {
        problem({
          severity: 'error',
          object: `manifests/${backupId}`,
          message: `volume ${volume.name}: tree is unreadable: ${(error as Error).message}`,
          affected: [{ backupId, volume: volume.name }],
        });
        continue;
      }
      if (missing.length > 0) {
        problem({
          severity: 'error',
          object: `manifests/${backupId}`,
          message: `volume ${volume.name}: ${missing.length} file(s)/extent(s) reference chunks missing from the repository`,
          affected: missing,
        });
      }
    }
  }

  report.ok = !report.problems.some((p) => p.severity === 'error');
  return report;
}

/** One line per problem, for `berth repo check` output. */
export function formatProblem(p: CheckProblem): string {
  const affected = p.affected.map(
    (a) => `backup ${a.backupId} volume ${a.volume}${a.file ? ` file ${a.file}` : ''}${a.offset !== undefined ? ` at offset ${a.offset}` : ''}`,
  );
  return `${p.severity}: ${p.object}: ${p.message}${affected.length > 0 ? `; affects ${affected.join(', ')}` : ''}`;
}
