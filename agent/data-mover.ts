import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import { backupBlockImage } from '../backup/mover/block-backup';
import { btrfsChangesSince, btrfsGeneration } from '../backup/mover/btrfs-changes';
import { backupDirectory, removeEntriesNotIn } from '../backup/mover/directory-backup';
import { BlockMap, FileTree, Repository, VolumeEntry } from '../backup/repository';
import { aborted, cancelled, invalidArgument, notFound } from '../lib/errors';
import type { BackupVolumeRequest__Output } from '../proto/berth/generated/berth/agent/v1/BackupVolumeRequest';
import type { RestoreVolumeRequest__Output } from '../proto/berth/generated/berth/agent/v1/RestoreVolumeRequest';
import type { CsiClient } from '../volumes/csi-client/client';
import type { BackupVolumeResult, RestoreVolumeResult } from './data-mover-types';
import { moverDir, MoverAttachment } from './mover-attachment';
import { moverKeys } from './mover-keys';
import { volumeCapability } from './node-calls';
import { discoverCapabilities } from '../volumes/csi-client/capabilities';
import { blockImageIn, decodeSnapshotDirs, SNAPSHOT_DIRS_KEY, snapshotPathIn } from '../lib/berth-local/fast-path';

const run = promisify(execFile);

export interface DataMoverDeps {
  stateDir: string;
  csiClientFor: (plugin: string) => CsiClient | undefined;
  /** Tests: always read through a temporary volume, as for a vendor driver. */
  forceGenericPath?: boolean;
}

export interface MoverProgress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function requireSafe(field: string, value: string): void {
  if (!SAFE_ID.test(value)) throw invalidArgument(`${field} ${JSON.stringify(value)} is missing or not a safe identifier`);
}

function pluginClient(deps: DataMoverDeps, plugin: string): CsiClient {
  const client = deps.csiClientFor(plugin);
  if (!client) throw notFound(`CSI plugin ${plugin} is not registered on this node`);
  return client;
}

function openRepository(access: { location: string; passphrase: string } | null): Promise<Repository> {
  if (!access?.location || !access.passphrase) throw invalidArgument('repository location and passphrase are required');
  if (!access.location.startsWith('/')) throw invalidArgument(`repository location must be an absolute path, got ${JSON.stringify(access.location)}`);
  return Repository.open(access.location, access.passphrase);
}

/** Runs `work` holding the mover key of this operation and volume; a second call on it is ABORTED (the caller retries). */
async function holdingKey<T>(operationId: string, volumeName: string, work: (key: string) => Promise<T>): Promise<T> {
  const key = `${operationId}-${volumeName}`;
  if (!moverKeys.claim(key)) {
    throw aborted(
      `a data-mover call for volume ${volumeName} of ${operationId} is still running on this node, or its leftovers are being cleaned up; retry later`,
    );
  }
  try {
    return await work(key);
  } finally {
    moverKeys.release(key);
  }
}

/** Where berth.local keeps this snapshot, when the plugin says so and it is there (else the generic path). */
async function snapshotDirectory(client: CsiClient, snapshotId: string): Promise<string | undefined> {
  const info = await client.identity('GetPluginInfo', {});
  for (const dir of decodeSnapshotDirs(info.manifest[SNAPSHOT_DIRS_KEY])) {
    const candidate = snapshotPathIn(dir, snapshotId);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The parent's tree or map of this volume, or undefined when it is gone (then everything is read). */
async function parentOf(repo: Repository, parentId: string, volume: string, block: boolean): Promise<FileTree | BlockMap | undefined> {
  if (!parentId) return undefined;
  try {
    return block ? await repo.readBlockMap(parentId, volume) : await repo.readFileTree(parentId, volume);
  } catch {
    return undefined;
  }
}

/**
 * Reads one CSI snapshot into the repository: the fast path reads berth.local's snapshot where it lies
 * (and asks btrfs what changed since the parent), the generic path a temporary volume created from the
 * snapshot, published read-only on this node, then removed. Ends the session without a manifest: the
 * server commits one manifest for all volumes of the app.
 */
export async function backupVolume(
  req: BackupVolumeRequest__Output,
  deps: DataMoverDeps,
  onProgress: (p: MoverProgress) => void,
  signal: AbortSignal,
): Promise<BackupVolumeResult> {
  requireSafe('operation_id', req.operationId);
  requireSafe('volume_name', req.volumeName);
  requireSafe('plugin', req.plugin);
  requireSafe('snapshot_id', req.snapshotId);
  return holdingKey(req.operationId, req.volumeName, (key) => backupHeld(req, deps, key, onProgress, signal));
}

async function backupHeld(
  req: BackupVolumeRequest__Output,
  deps: DataMoverDeps,
  key: string,
  onProgress: (p: MoverProgress) => void,
  signal: AbortSignal,
): Promise<BackupVolumeResult> {
  const client = pluginClient(deps, req.plugin);
  const repo = await openRepository(req.repository);
  const fastDir = deps.forceGenericPath ? undefined : await snapshotDirectory(client, req.snapshotId);
  let attachment: MoverAttachment | undefined;
  let source: string;
  if (fastDir) {
    source = req.block ? blockImageIn(fastDir) : fastDir;
  } else {
    const name = `berth-mover-${req.operationId}-${req.volumeName}`;
    attachment = new MoverAttachment(moverDir(deps.stateDir, key), client, req.plugin, name);
    try {
      const info = await client.node('NodeGetInfo', {});
      const topology = info.accessibleTopology ? [info.accessibleTopology] : [];
      // Writable below the bind, read-only above it: a filesystem cloned from a crash-consistent snapshot may
      // need its journal replayed to mount at all (ext4 refuses a read-only mount that needs recovery);
      // the replay touches only this temporary clone, and the mover reads through a read-only publish.
      const accessMode = { mode: 'SINGLE_NODE_WRITER' as const };
      const volume = await attachment.create({
        name,
        capacityRange: { requiredBytes: String(req.sizeBytes) },
        parameters: req.parameters,
        secrets: req.controllerSecrets,
        volumeCapabilities: [req.block ? { block: {}, accessMode } : { mount: { fsType: req.fsType, mountFlags: [] }, accessMode }],
        volumeContentSource: { snapshot: { snapshotId: req.snapshotId } },
        accessibilityRequirements: { requisite: topology, preferred: topology },
      });
      // A driver that attaches at the controller (iSCSI, cloud disks) must grant this node first, as for a task's volume.
      const controllerAttaches = (await discoverCapabilities(client, { controller: true, node: false })).controller.has('PUBLISH_UNPUBLISH_VOLUME');
      const publishContext = controllerAttaches
        ? await attachment.controllerPublish({
            volumeId: volume.volumeId,
            nodeId: info.nodeId,
            secrets: req.publishSecrets,
            volumeContext: volume.volumeContext,
            capability: volumeCapability({ block: req.block, fsType: req.fsType, mountFlags: [], accessMode: accessMode.mode }),
          })
        : {};
      source = await attachment.attach({
        plugin: req.plugin,
        volumeId: volume.volumeId,
        block: req.block,
        fsType: req.fsType,
        accessMode: accessMode.mode,
        readOnly: true,
        volumeContext: volume.volumeContext,
        publishContext,
        stageSecrets: req.nodeSecrets,
        publishSecrets: req.publishSecrets,
        mountFlags: [],
      });
    } catch (error) {
      await attachment.detach(req.controllerSecrets).catch(() => undefined);
      throw error;
    }
  }
  const session = await repo.beginBackup().catch(async (error: unknown) => {
    await attachment?.detach(req.controllerSecrets).catch(() => undefined);
    throw error;
  });
  // A cancelled call stops at the next progress point; the session is then aborted on the normal error
  // path (aborting it from the signal, while a write is in flight, would race that write).
  const progress = (p: MoverProgress) => {
    if (signal.aborted) throw cancelled('backup cancelled');
    onProgress(p);
  };
  try {
    const parent = await parentOf(repo, req.parentBackupId, req.volumeName, req.block);
    // btrfs generations only on the fast path (a temporary clone is another subvolume's history).
    const generation = fastDir ? await btrfsGeneration(fastDir) : undefined;
    const parentGeneration = /^\d+$/.test(req.parentChangeMarker) ? Number(req.parentChangeMarker) : undefined;
    const trusted = parent && generation !== undefined && parentGeneration !== undefined && parentGeneration <= generation;
    // find-new lists extents of the given generation too; the parent snapshot already holds those of its own.
    const changes = trusted ? await btrfsChangesSince(fastDir!, parentGeneration + 1) : undefined;
    let entry: VolumeEntry;
    if (req.block) {
      const ino = (await fs.stat(source)).ino;
      entry = await backupBlockImage(session, req.volumeName, source, {
        parentMap: parent as BlockMap | undefined,
        changedRanges: changes ? (changes.extents.get(ino) ?? []) : undefined,
        onProgress: progress,
      });
    } else {
      entry = await backupDirectory(session, req.volumeName, source, {
        parent: parent as FileTree | undefined,
        changedInodes: changes ? new Set(changes.extents.keys()) : undefined,
        onProgress: progress,
      });
    }
    if (signal.aborted) throw cancelled('backup cancelled');
    // The entry as finished carries what the volume stored on disk (known once its packs are written).
    const finished = (await session.finishVolumes()).find((v) => v.name === entry.name) ?? entry;
    return {
      entry: finished,
      changeMarker: generation !== undefined ? String(generation) : '',
      path: fastDir ? 'fast' : 'generic',
      changeDetection: changes ? 'btrfs-generation' : parent ? 'parent-compare' : 'full',
    };
  } catch (error) {
    await session.abort().catch(() => undefined);
    throw error;
  } finally {
    await attachment?.detach(req.controllerSecrets);
  }
}

/**
 * Writes one volume of a backup into a volume provisioned on this node (before its task starts):
 * published writable under the mover directory, filled, flushed, detached. A files volume ends with
 * exactly the backed-up tree, also when a crashed restore had written part of it before.
 */
export async function restoreVolume(
  req: RestoreVolumeRequest__Output,
  deps: DataMoverDeps,
  onProgress: (p: MoverProgress) => void,
  signal: AbortSignal,
): Promise<RestoreVolumeResult> {
  requireSafe('operation_id', req.operationId);
  requireSafe('volume_name', req.volumeName);
  requireSafe('plugin', req.plugin);
  if (!req.volumeId) throw invalidArgument('volume_id is required');
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(req.backupId)) throw invalidArgument(`invalid backup id ${JSON.stringify(req.backupId)}`);
  return holdingKey(req.operationId, req.volumeName, (key) => restoreHeld(req, deps, key, onProgress, signal));
}

async function restoreHeld(
  req: RestoreVolumeRequest__Output,
  deps: DataMoverDeps,
  key: string,
  onProgress: (p: MoverProgress) => void,
  signal: AbortSignal,
): Promise<RestoreVolumeResult> {
  const client = pluginClient(deps, req.plugin);
  const repo = await openRepository(req.repository);
  const manifest = await repo.getBackup(req.backupId);
  const entry = manifest.volumes.find((v) => v.name === req.volumeName);
  if (!entry) throw notFound(`backup ${req.backupId} has no volume ${req.volumeName}`);
  if ((entry.kind === 'blocks') !== req.block) {
    throw invalidArgument(
      `volume ${req.volumeName} of backup ${req.backupId} is a ${entry.kind} volume; the target is ${req.block ? 'a block' : 'a filesystem'} volume`,
    );
  }
  const attachment = new MoverAttachment(moverDir(deps.stateDir, key), client, req.plugin);
  try {
    const target = await attachment.attach({
      plugin: req.plugin,
      volumeId: req.volumeId,
      block: req.block,
      fsType: req.fsType,
      accessMode: req.accessMode,
      readOnly: false,
      volumeContext: req.volumeContext,
      publishContext: req.publishContext,
      stageSecrets: req.nodeSecrets,
      publishSecrets: req.publishSecrets,
      mountFlags: req.mountFlags,
    });
    onProgress({ bytesDone: 0, bytesTotal: entry.size, filesDone: 0 });
    if (entry.kind === 'files') await removeEntriesNotIn(target, await repo.readFileTree(req.backupId, req.volumeName));
    if (signal.aborted) throw cancelled('restore cancelled');
    let bytesDone = 0;
    const written = await repo.restoreVolume(req.backupId, req.volumeName, target, (bytes) => {
      // A cancelled call stops writing at once: a retry will attach this volume again.
      if (signal.aborted) throw cancelled('restore cancelled');
      bytesDone += bytes;
      onProgress({ bytesDone, bytesTotal: entry.size, filesDone: 0 });
    });
    // Everything on disk before the volume is handed to its task.
    if (entry.kind === 'files') await run('sync', ['-f', target]);
    onProgress({ bytesDone: entry.size, bytesTotal: entry.size, filesDone: written.files });
    return { bytes: written.bytes, files: written.files, path: 'generic' };
  } finally {
    await attachment.detach();
  }
}
