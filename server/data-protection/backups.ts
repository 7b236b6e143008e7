import type { BackupVolumeResult } from '../../agent/data-mover-types';
import { BackupNotFoundError, CorruptObjectError, newBackupId } from '../../backup/repository';
import type { BackupManifest, JsonValue, Repository, RepositoryLock, VolumeEntry } from '../../backup/repository';
import type { BackupVolumeRequest } from '../../proto/berth/generated/berth/agent/v1/BackupVolumeRequest';
import { backupVolumeName, parseBackupMetadata } from './backup-metadata';
import { chooseParent, computeProgress, forEachLimited, isRunning } from './backup-policy';
import { hookRunEvent } from './hook-runs';
import { backupMetadata, backupTotals, viewFromManifest } from './backup-views';
import type { BackupView } from './backup-views';
import type { ClusterContext } from '../cluster-context';
import { conflict, dependencyFailed, notFound, unavailable } from '../../lib/errors';
import type { BackupRecord, BackupVolumeRecord, NodeRecord, RecoveryPointRecord, RecoveryPointSnapshot } from '../store/records';
export type { BackupView } from './backup-views';
import type { RecoveryPoints } from './recovery-points';
import type { Repositories } from './repositories';
import { secretData } from '../store/secrets';
import { pausePoint } from '../../lib/failpoints/failpoints';
import { Controller } from '../controllers/runtime/controller';
import { waitForStore } from '../controllers/runtime/wait-for';
import type { ClusterStore, StoreChange } from '../store/cluster-store';

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface BackupServiceOptions {
  /** Volumes moved at the same time (each is one agent streaming a snapshot into the repository). */
  concurrency: number;
  /** Progress is written to the store at most this often: movers report many times a second. */
  progressWriteMs: number;
}

/** What a backup needs of recovery points (recovery-points.ts). */
export type RecoveryPointTaker = Pick<RecoveryPoints, 'create' | 'check' | 'delete'>;

export interface CreateBackupOptions {
  repository?: string;
  schedule?: string;
  ttlSeconds?: number;
}

/**
 * Backups of apps into repositories. `create` validates, stores the intent (`snapshotting`) and
 * answers; the rest is the sync of a controller of the runtime (controllers/runtime/), keyed by
 * backup id:
 *   1. a recovery point (hooks + CSI snapshots; its id is recorded with its intent);
 *   2. a shared repository lock held until the manifest is written, so a prune cannot remove the
 *      packs the movers write before anything references them;
 *   3. `uploading`: each snapshot moved by the agent of the node that can read it, a few at a time,
 *      incremental to the newest ready backup of the same source volume;
 *   4. the manifest (id = record id) with the app metadata, then `ready`; the lock is released and the
 *      recovery point deleted (the change markers carry what the next incremental needs).
 * Any failure: `failed` with the volume and the cause, nothing committed, recovery point deleted.
 * The sync decides from the record: `snapshotting` without a recovery point is run (1–4); one found
 * `snapshotting` with a recovery point, or `uploading`, when its sync begins was interrupted (a crash,
 * or a sync that threw: one sync per key at a time) and is settled — `ready` if its manifest was
 * committed, else `failed` — once its recovery point is no longer `creating` (that one's controller
 * undoes it first; its change brings the backup back); `deleting` is finished. Starting the controller
 * syncs every record, so a restart settles what a crash interrupted by the same path as normal work.
 * Progress, the upload's start included, lives in the record.
 */
export class BackupService {
  private readonly options: BackupServiceOptions;
  private readonly controller: Controller;

  constructor(
    private readonly ctx: ClusterContext,
    private readonly points: RecoveryPointTaker,
    private readonly repositories: Repositories,
    options: Partial<BackupServiceOptions> = {},
  ) {
    this.options = { concurrency: 3, progressWriteMs: 500, ...options };
    this.controller = new Controller({
      name: 'backups',
      registry: ctx.controllers,
      store: ctx.store,
      log: ctx.log,
      kinds: ['backup', 'recoverypoint'],
      keysOf: (change) => backupsToSync(ctx.store, change),
      sync: (id, signal) => this.sync(id, signal),
      // A sync lasts a whole backup: backups of different apps (and deletes) must not queue behind one another.
      queue: { concurrency: 64 },
    });
  }

  /** Syncs every backup (settling what a crash interrupted), then each one that changes. */
  start(): void {
    this.controller.start();
  }

  /** Resolves once every change seen so far is acted on. */
  idle(): Promise<void> {
    return this.controller.idle();
  }

  /**
   * Server shutdown: running movers are cancelled (their agents stop writing; what they wrote stays
   * unreferenced until prune), and their bookkeeping is waited for (at most `graceMs`) so it does not
   * run against a closed store. Records still running then are settled at the next start.
   */
  stop(graceMs = 10_000): Promise<void> {
    return this.controller.stop(graceMs);
  }

  /** Validates everything it can and writes the intent, which its controller runs; answers with the record at once. */
  async create(appName: string, options: CreateBackupOptions = {}): Promise<BackupView> {
    const { store } = this.ctx;
    if (this.controller.isStopped) throw shuttingDown();
    const app = store.apps.get(appName);
    if (!app) throw notFound(`app ${appName} not found`);
    if (app.deleting) throw conflict(`app ${appName} is being deleted`);
    const repoRecord = this.repositories.resolve(options.repository);
    await this.repositories.handle(repoRecord.name);
    this.points.check(appName);
    if (app.spec.instances === 0 || app.spec.volumes.length === 0) throw conflict(`app ${appName} has no volumes to back up`);
    const other = store.backups.list().find((b) => b.app === appName && isRunning(b));
    if (other) throw conflict(`backup ${other.id} of app ${appName} is still running (${other.state})`);
    // Again: stop() may have begun while the repository was opened.
    if (this.controller.isStopped) throw shuttingDown();
    const now = new Date();
    const record: BackupRecord = {
      id: newBackupId(now),
      app: appName,
      repository: repoRecord.name,
      state: 'snapshotting',
      volumes: [],
      startedAt: now.toISOString(),
      ...(options.schedule ? { schedule: options.schedule } : {}),
      ...(options.ttlSeconds ? { expiresAt: new Date(now.getTime() + options.ttlSeconds * 1000).toISOString() } : {}),
    };
    store.backups.put(record.id, record); // its sync runs it
    this.ctx.event(
      `app/${appName}`,
      'BackupStarted',
      `backup ${record.id} of ${appName} into repository ${repoRecord.name}${options.schedule ? ` (schedule ${options.schedule})` : ''}`,
    );
    return this.view(record, 'cluster');
  }

  /** One backup brought one step towards what its record says (see the class comment). */
  private async sync(id: string, signal: AbortSignal): Promise<void> {
    const b = this.ctx.store.backups.get(id);
    if (!b) return;
    if (b.state === 'deleting') return this.finishDelete(b);
    if (b.state === 'snapshotting' && !b.recoveryPointId) return this.run(b, signal);
    if (isRunning(b)) return this.settleInterrupted(b);
  }

  private async run(initial: BackupRecord, signal: AbortSignal): Promise<void> {
    const { store } = this.ctx;
    let record = initial;
    let dirty = false;
    let lastWrite = 0;
    const save = (patch: Partial<BackupRecord>, force = true) => {
      record = { ...record, ...patch };
      dirty = true;
      if (force || Date.now() - lastWrite >= this.options.progressWriteMs) {
        store.backups.put(record.id, record);
        lastWrite = Date.now();
        dirty = false;
      }
    };
    let rp: RecoveryPointRecord | undefined;
    let lock: RepositoryLock | undefined;
    let outcome: Partial<BackupRecord>;
    try {
      const repo = await this.repositories.handle(record.repository);
      rp = await this.points.create(record.app, (rpId) => save({ recoveryPointId: rpId }));
      save({ consistency: rp.consistency, consistencyReason: rp.consistencyReason, hooks: rp.hooks });
      // The hooks' output belongs to this backup's story too, not only to the (soon deleted) recovery point's.
      for (const h of rp.hooks) this.ctx.event(`backup/${record.id}`, h.phase === 'preSnapshot' ? 'PreSnapshotHook' : 'PostSnapshotHook', hookRunEvent(h));
      lock = await repo.holdSharedLock(`backup ${record.id} of app ${record.app}`);
      const volumes = await this.planVolumes(rp, record.repository, repo);
      save({ state: 'uploading', volumes: volumes.map((v) => v.record), parent: volumes.find((v) => v.parent)?.parent?.backupId });
      await pausePoint('server.backup.before-upload', { subject: record.app }); // tests: kill the server mid-backup
      save({ uploadStartedAt: new Date().toISOString() });
      const entries = await this.moveAll(record, volumes, repo, signal, (update) => save({ volumes: update(record.volumes) }, false));
      const metadata = backupMetadata(rp, record);
      const manifest = await repo.commitManifest({
        id: record.id,
        app: JSON.parse(JSON.stringify(metadata)) as JsonValue,
        volumes: entries,
        parent: record.parent,
        tags: [`app:${record.app}`, ...(record.schedule ? [`schedule:${record.schedule}`] : [])],
        startedAt: Date.parse(record.startedAt),
      });
      // From here the backup exists: a crash before `ready` is written is settled as ready by the next sync.
      outcome = { state: 'ready', repoBackupId: manifest.id, ...backupTotals(manifest) };
    } catch (error) {
      const message = error instanceof VolumeFailure ? error.message : `backup of app ${record.app} failed: ${errorText(error)}`;
      outcome = { state: 'failed', message };
    }
    if (dirty) store.backups.put(record.id, record);
    // Cleanup before the final state, so whoever sees `ready` or `failed` sees no lock and no recovery point left.
    await lock?.release().catch((e: unknown) => this.ctx.log.warn({ err: errorText(e), backup: record.id }, 'releasing the repository lock failed'));
    if (record.recoveryPointId) await this.dropRecoveryPoint(record);
    save({ ...outcome, finishedAt: new Date().toISOString() });
    if (record.state === 'ready') {
      const newBytes = record.volumes.reduce((a, v) => a + (v.bytesNew ?? 0), 0);
      this.ctx.event(
        `app/${record.app}`,
        'BackupCompleted',
        `backup ${record.id} of ${record.app} ready: ${record.volumes.length} volume(s), ${newBytes} new bytes${record.bytesStored === undefined ? '' : `, ${record.bytesStored} bytes stored`}, ${record.consistency}`,
      );
    } else {
      this.ctx.event(`app/${record.app}`, 'BackupFailed', `backup ${record.id}: ${record.message}`);
    }
  }

  /** One planned volume per snapshot, with its parent when one exists still in the repository. */
  private async planVolumes(rp: RecoveryPointRecord, repository: string, repo: Repository): Promise<PlannedVolume[]> {
    const { store } = this.ctx;
    const planned: PlannedVolume[] = [];
    for (const snap of rp.snapshots) {
      const claim = rp.claims.find((c) => c.id === snap.claimId);
      let parent = chooseParent(store.backups.list(), repository, snap.sourceVolumeId);
      // A parent deleted from the repository by hand cannot serve as the base: take a full copy then.
      if (
        parent &&
        !(await repo.getBackup(parent.backupId).then(
          () => true,
          () => false,
        ))
      )
        parent = undefined;
      planned.push({
        snap,
        parent,
        record: {
          volume: backupVolumeName(snap.template, snap.instance),
          claimId: snap.claimId,
          template: snap.template,
          instance: snap.instance,
          plugin: snap.plugin,
          nodeId: snap.nodeId,
          block: claim?.volumeMode === 'block',
          sourceVolumeId: snap.sourceVolumeId,
          sourceCsiVolumeId: snap.sourceCsiVolumeId,
          state: 'pending',
          bytesDone: 0,
          bytesTotal: snap.sizeBytes,
          filesDone: 0,
        },
      });
    }
    return planned;
  }

  /** Moves every volume (a few at a time), cancelled when `outer` aborts; the first failure cancels the others and is thrown. */
  private async moveAll(
    record: BackupRecord,
    volumes: PlannedVolume[],
    repo: Repository,
    outer: AbortSignal,
    update: (fn: (vs: BackupVolumeRecord[]) => BackupVolumeRecord[]) => void,
  ): Promise<VolumeEntry[]> {
    const abort = new AbortController();
    // Already cancelled (the server stopped while this backup was still snapshotting): no mover starts.
    if (outer.aborted) throw new Error('backup cancelled: the server is shutting down');
    // `outer` is the controller's, shared by every backup: the listener goes when this one is done.
    const cancel = () => abort.abort();
    outer.addEventListener('abort', cancel, { once: true });
    try {
      return await this.moveVolumes(record, volumes, repo, abort, update);
    } finally {
      outer.removeEventListener('abort', cancel);
    }
  }

  /** moveAll's work: `abort` cancels every mover (a failure aborts it too). */
  private async moveVolumes(
    record: BackupRecord,
    volumes: PlannedVolume[],
    repo: Repository,
    abort: AbortController,
    update: (fn: (vs: BackupVolumeRecord[]) => BackupVolumeRecord[]) => void,
  ): Promise<VolumeEntry[]> {
    const patch = (name: string, p: Partial<BackupVolumeRecord>) => update((vs) => vs.map((v) => (v.volume === name ? { ...v, ...p } : v)));
    const entries = new Map<string, VolumeEntry>();
    let failure: VolumeFailure | undefined;
    await forEachLimited(
      volumes,
      this.options.concurrency,
      async (pv) => {
        const name = pv.record.volume;
        let nodeId = pv.snap.nodeId;
        try {
          const node = this.moverNode(pv.snap);
          nodeId = node.id;
          patch(name, { state: 'running', nodeId });
          const result: BackupVolumeResult = await this.ctx.links
            .get(node)
            .backupVolume(
              this.request(record, pv, repo),
              (p) => patch(name, { bytesDone: p.bytesDone, bytesTotal: p.bytesTotal || pv.record.bytesTotal, filesDone: p.filesDone }),
              abort.signal,
            );
          if (!result?.entry?.tree) throw new Error('the data mover answered no volume entry');
          entries.set(name, { ...result.entry, name });
          patch(name, {
            state: 'done',
            changeMarker: result.changeMarker,
            path: result.path,
            changeDetection: result.changeDetection,
            bytesNew: result.entry.stats.bytesNew,
            ...(result.entry.stats.bytesStored === undefined ? {} : { bytesStored: result.entry.stats.bytesStored }),
            bytesDone: result.entry.stats.bytesRead,
            filesDone: result.entry.stats.files ?? 0,
          });
        } catch (error) {
          const cause = abort.signal.aborted && failure ? 'cancelled after another volume failed' : errorText(error);
          patch(name, { state: 'failed', message: cause });
          if (!failure) {
            failure = new VolumeFailure(
              `backup of app ${record.app} failed: volume ${name} (claim ${pv.record.claimId}${nodeId ? ` on node ${nodeId}` : ''}): ${cause}`,
            );
            abort.abort();
          }
        }
      },
      () => failure !== undefined,
    );
    if (failure) throw failure;
    return volumes.map((v) => entries.get(v.record.volume)!);
  }

  /** The node whose agent can read the snapshot: where it was taken, or for a shared plugin any ready node running it. */
  private moverNode(snap: RecoveryPointSnapshot): NodeRecord {
    const nodes = this.ctx.store.nodes.list();
    const node = snap.nodeId
      ? nodes.find((n) => n.id === snap.nodeId)
      : nodes.find((n) => n.state === 'ready' && n.plugins.some((p) => p.name === snap.plugin));
    if (!node) throw new Error(snap.nodeId ? `node ${snap.nodeId} is unknown` : `no ready node runs CSI plugin ${snap.plugin}`);
    if (node.state !== 'ready') throw new Error(`node ${node.id} is down`);
    return node;
  }

  /** The mover request: repository access, the snapshot, and the storage class's parameters and secrets for a temporary volume. */
  private request(record: BackupRecord, pv: PlannedVolume, repo: Repository): BackupVolumeRequest {
    const { store } = this.ctx;
    const repository = this.repositories.get(record.repository);
    const claim = store.claims.get(pv.snap.claimId);
    const sc = claim ? store.storageClasses.get(claim.storageClass)?.spec : undefined;
    const volume = store.volumes.get(pv.snap.sourceVolumeId);
    const node = pv.snap.nodeId ? store.nodes.get(pv.snap.nodeId) : undefined;
    const poolParameters = node?.plugins.find((p) => p.name === pv.snap.plugin)?.pools.find((p) => p.name === volume?.pool)?.parameters ?? {};
    return {
      operationId: record.id,
      repository: { location: repo.location, passphrase: repository.passphrase },
      volumeName: pv.record.volume,
      plugin: pv.snap.plugin,
      snapshotId: pv.snap.csiSnapshotId ?? '',
      sourceVolumeId: pv.snap.sourceCsiVolumeId,
      block: pv.record.block,
      sizeBytes: String(pv.snap.sizeBytes),
      fsType: sc?.fsType ?? '',
      parentBackupId: pv.parent?.backupId ?? '',
      parentChangeMarker: pv.parent?.changeMarker ?? '',
      parameters: { ...(sc?.parameters ?? {}), ...poolParameters },
      controllerSecrets: secretData(store, sc?.provisionerSecret),
      nodeSecrets: secretData(store, sc?.stageSecret),
      publishSecrets: secretData(store, sc?.publishSecret),
    };
  }

  /**
   * Deletes the backup's recovery point (its CSI snapshots). Retried a few times: right after a crash
   * the plugin may still be busy with the snapshot; what stays is named in an event.
   */
  private async dropRecoveryPoint(record: BackupRecord, attempts = 3): Promise<void> {
    const id = record.recoveryPointId!;
    for (let i = 1; ; i++) {
      if (!this.ctx.store.recoveryPoints.get(id)) return;
      try {
        await this.points.delete(id);
        return;
      } catch (error) {
        if (i >= attempts) {
          this.ctx.event(
            `app/${record.app}`,
            'BackupCleanupFailed',
            `backup ${record.id}: recovery point ${id} not deleted: ${errorText(error)} (delete it with berth snapshot delete ${id})`,
          );
          return;
        }
        await new Promise((r) => setTimeout(r, 2000 * i));
      }
    }
  }

  /** Every backup: the records (oldest first), then manifests in a repository this cluster has no record of. */
  async list(app?: string): Promise<BackupView[]> {
    const records = this.ctx.store.backups.list().sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id));
    const known = new Set(records.map((b) => b.repoBackupId ?? b.id));
    const found: BackupView[] = [];
    for (const r of this.repositories.list()) {
      // Only the manifests this cluster has no record of are opened (each is a read and a decryption).
      let manifests: BackupManifest[];
      try {
        const repo = await this.repositories.handle(r.name);
        const unknown = (await repo.listBackupIds()).filter((id) => !known.has(id));
        const read = await Promise.all(
          unknown.map((id) =>
            repo.getBackup(id).catch((error: unknown) => {
              // Deleted since the listing, or unreadable: the others are still worth showing.
              this.ctx.log.warn({ repository: r.name, backup: id, err: errorText(error) }, 'cannot read a backup manifest');
              return undefined;
            }),
          ),
        );
        manifests = read.filter((m): m is BackupManifest => m !== undefined);
      } catch (error) {
        this.ctx.log.warn({ repository: r.name, err: errorText(error) }, 'cannot list the backups of a repository');
        continue;
      }
      manifests.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      for (const m of manifests) found.push(viewFromManifest(m, r.name));
    }
    return [...records.map((b) => this.view(b, 'cluster')), ...found].filter((b) => !app || b.app === app);
  }

  async get(id: string): Promise<BackupView> {
    const record = this.ctx.store.backups.get(id);
    if (record) return this.view(record, 'cluster');
    const found = await this.findInRepositories(id);
    if (!found) throw notFound(`backup ${id} not found`);
    return viewFromManifest(found.manifest, found.repository);
  }

  /** Deletes a backup's manifest (its data goes with the next `repo prune`) and its record. Idempotent per step. */
  async delete(id: string): Promise<string> {
    const { store } = this.ctx;
    const record = store.backups.get(id);
    // A restore reads the manifest and chunks volume by volume: deleting them mid-way fails it (and prune would drop the data).
    const reader = store.restores
      .list()
      .find((r) => r.state === 'restoring' && r.source.kind === 'backup' && (r.source.backupId === id || r.source.backupId === record?.repoBackupId));
    if (reader) throw conflict(`backup ${id} is being restored by restore ${reader.id}; delete it once that restore is ready or failed`);
    if (!record) {
      const found = await this.findInRepositories(id);
      if (!found) throw notFound(`backup ${id} not found`);
      await (await this.repositories.handle(found.repository)).deleteBackup(id);
      this.ctx.event(`repository/${found.repository}`, 'BackupDeleted', `backup ${id} deleted from repository ${found.repository}`);
      return `backup ${id} deleted from repository ${found.repository}`;
    }
    if (isRunning(record)) throw conflict(`backup ${id} is still running (${record.state}); delete it once it is ready or failed`);
    if (this.controller.isStopped) throw shuttingDown('try again once it is back');
    // A repository that cannot be opened answers its own error here, before anything changes.
    await this.repositories.handle(record.repository);
    // Through the controller rather than inline: a `deleting` record is also what a restart finishes,
    // and one sync per key means the two can never delete at once. Without an earlier failure's
    // message: the one the sync writes if this attempt fails is then new.
    const latest = store.backups.get(id);
    if (!latest) throw notFound(`backup ${id} not found`);
    store.backups.put(id, { ...latest, state: 'deleting', message: undefined });
    this.controller.enqueue(id); // also when the record was already `deleting` (its put changed nothing)
    const failed = await waitForStore(
      store,
      () => {
        const r = store.backups.get(id);
        if (!r) return { error: undefined };
        return r.state === 'deleting' && r.message?.startsWith(DELETE_FAILED) ? { error: r.message.slice(DELETE_FAILED.length) } : undefined;
      },
      this.controller.stopSignal,
      () => shuttingDown('try again once it is back'),
    );
    if (failed.error !== undefined) throw dependencyFailed(`cannot delete backup ${id}: ${failed.error}`);
    return `backup ${id} deleted`;
  }

  /** A `deleting` record: its manifest deleted from the repository, then the record; a failure is recorded and retried. */
  private async finishDelete(record: BackupRecord): Promise<void> {
    const { store } = this.ctx;
    try {
      await (await this.repositories.handle(record.repository)).deleteBackup(record.repoBackupId ?? record.id);
    } catch (error) {
      if (!(error instanceof BackupNotFoundError)) {
        store.backups.put(record.id, { ...record, state: 'deleting', message: `${DELETE_FAILED}${errorText(error)}` });
        throw error;
      }
    }
    store.backups.delete(record.id);
    this.ctx.event(`app/${record.app}`, 'BackupDeleted', `backup ${record.id} deleted from repository ${record.repository}`);
  }

  private async findInRepositories(id: string): Promise<{ manifest: BackupManifest; repository: string } | undefined> {
    if (!/^[0-9A-Za-z_-]{1,64}$/.test(id)) return undefined;
    for (const r of this.repositories.list()) {
      try {
        return { manifest: await (await this.repositories.handle(r.name)).getBackup(id), repository: r.name };
      } catch {
        // Not in this repository (or it cannot be read): look in the next.
      }
    }
    return undefined;
  }

  /**
   * A backup a crash (or a sync that threw) left running: `ready` if its manifest was committed just
   * before, else `failed`; either way its recovery point is deleted. Waits while that recovery point
   * is still `creating` (its controller undoes it first, and its change syncs this backup again). A
   * repository that cannot be read right now throws: the work queue retries after a back-off.
   */
  private async settleInterrupted(b: BackupRecord): Promise<void> {
    const { store } = this.ctx;
    if (b.recoveryPointId && store.recoveryPoints.get(b.recoveryPointId)?.state === 'creating') return;
    let manifest: BackupManifest | undefined;
    try {
      manifest = await (await this.repositories.handle(b.repository)).getBackup(b.id);
    } catch (error) {
      // The repository cannot be read right now (not mounted yet, say): whether the manifest was
      // committed is unknown, so the record waits for a retry — unless the manifest is certainly
      // absent or unusable, or the repository was removed from the cluster.
      const settledByError = error instanceof BackupNotFoundError || error instanceof CorruptObjectError || !store.repositories.get(b.repository);
      if (!settledByError) throw new Error(`cannot read repository ${b.repository} to settle interrupted backup ${b.id}: ${errorText(error)}`);
      manifest = undefined;
    }
    const finishedAt = new Date().toISOString();
    const settled: BackupRecord = manifest
      ? { ...b, state: 'ready', repoBackupId: manifest.id, ...backupTotals(manifest), finishedAt, ...this.committedVolumes(b, manifest) }
      : {
          ...b,
          state: 'failed',
          message: 'interrupted by a server restart; nothing was committed to the repository',
          finishedAt,
          volumes: b.volumes.map((v) => (v.state === 'done' ? v : { ...v, state: 'failed', message: 'interrupted by a server restart' })),
        };
    store.backups.put(b.id, settled);
    this.ctx.event(
      `app/${b.app}`,
      settled.state === 'ready' ? 'BackupCompleted' : 'BackupFailed',
      `backup ${b.id}: ${settled.state === 'ready' ? 'committed before a server restart' : settled.message}`,
    );
    if (settled.recoveryPointId) await this.dropRecoveryPoint(settled, 5);
  }

  /** The volumes of a record whose manifest was committed: change markers from the manifest's metadata. */
  private committedVolumes(b: BackupRecord, manifest: BackupManifest): Pick<BackupRecord, 'volumes'> {
    try {
      const meta = parseBackupMetadata(manifest.app, manifest.id);
      return {
        volumes: b.volumes.map((v) => ({ ...v, state: 'done', changeMarker: meta.volumes.find((m) => m.volume === v.volume)?.changeMarker || v.changeMarker })),
      };
    } catch {
      return { volumes: b.volumes };
    }
  }

  private view(b: BackupRecord, origin: BackupView['origin']): BackupView {
    return { ...b, origin, progress: computeProgress(b, Date.parse(b.uploadStartedAt ?? b.startedAt), Date.now()) };
  }
}

interface PlannedVolume {
  snap: RecoveryPointSnapshot;
  record: BackupVolumeRecord;
  parent?: { backupId: string; changeMarker: string };
}

/** A volume's move failed: the message names the volume, claim, node and cause. */
class VolumeFailure extends Error {}

/** How a failed delete is recorded (the API call waiting for it answers with the rest). */
const DELETE_FAILED = 'delete failed: ';

const shuttingDown = (then = 'start the backup once it is back'): Error => unavailable(`the server is shutting down; ${then}`);

/**
 * The backups a change concerns: its own record, or the running backups of a recovery point that just
 * stopped `creating` (an interrupted backup waits for that before it is settled).
 */
function backupsToSync(store: ClusterStore, change: StoreChange): string[] {
  if (change.kind === 'backup') return change.after ? [change.id] : [];
  if (change.kind !== 'recoverypoint' || change.before?.state !== 'creating' || change.after?.state === 'creating') return [];
  return store.backups
    .list()
    .filter((b) => b.recoveryPointId === change.id && isRunning(b))
    .map((b) => b.id);
}
