import * as grpc from '@grpc/grpc-js';
import { pausePoint } from '../../lib/failpoints/failpoints';
import { AgentCallError } from '../agents/agent-call-error';
import type { MoverProgress } from '../agents/node-link';
import type { ClusterContext } from '../cluster-context';
import { csiAccessMode, taskIdOf } from '../store/naming';
import type { BackupDataSource, ClaimRecord, NodeRecord, RestoreRecord, RestoreVolumeRecord, VolumeRecord } from '../store/records';
import { secretData } from '../store/secrets';
import { parseRestoreKey, restoreKeysOf } from './data-restore-keys';
import { Controller } from './runtime/controller';

export { awaitingData } from './data-restore-keys';

/** gRPC codes after which the same call may succeed later: the agent or its node is busy, restarting or unreachable. */
const TRANSIENT = new Set<grpc.status>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED,
  grpc.status.CANCELLED,
]);
const PROGRESS_EVERY_MS = 1000;
/** Syncs at once. A copy holds its slot while it runs: past this many copies, further volumes wait for one to end. */
const CONCURRENCY = 16;

/** A failed mover call worth trying again later (with back-off) rather than failing the restore. */
export function isTransient(error: unknown): boolean {
  return error instanceof AgentCallError && TRANSIENT.has(error.status);
}

/**
 * The claims a restore created must go, whatever the class's reclaim policy: a volume the mover never
 * finished holds a partial tree nobody should mount, and a rolled-back restore leaves nothing behind.
 */
export function mustDeleteOnReclaim(ctx: ClusterContext, claim: ClaimRecord): boolean {
  if (claim.dataSource?.kind !== 'backup') return false;
  if (!claim.dataRestored) return true;
  return ctx.store.restores.get(claim.dataSource.restoreId)?.state === 'rolling-back';
}

/**
 * Fills the volumes of restores from a backup. A controller of the runtime (controllers/runtime/) with
 * two kinds of key (data-restore-keys.ts): a restore, whose sync fails it when its app or a claim goes,
 * marks it ready once every claim is `dataRestored`, and completes a rollback; and one volume of a
 * restore, whose sync copies the backup into it. A volume is ready to fill when its claim is bound and
 * its instance's task was provisioned ('assigned': the volume exists on the node the task was placed
 * on and is ControllerPublished there if the plugin needs it) — the task itself reaches its agent only
 * once every claim is `dataRestored` (assignments.ts).
 *
 * The volume's sync runs the agent's data mover and waits for it, writing progress to the restore
 * record at most once a second, then the outcome. A transient failure (agent busy, restarting,
 * unreachable) is written as the volume's message and thrown: the work queue retries the volume after
 * a back-off (1 s, doubling up to 30 s). Any other failure fails the restore and rolls it back: the app
 * and every restored volume are deleted, and the copies of its other volumes, seeing the restore leave
 * 'restoring', are cancelled.
 *
 * Nothing in flight is kept outside the records. Starting syncs every restore under way and its
 * volumes, so after a crash a volume found 'running' — a key is never synced twice at once, so no copy
 * of it runs — is restored again from scratch into the same volume (the mover makes that end with
 * exactly the backup's tree), and a restore found 'rolling-back' finishes its rollback. Stopping
 * cancels the copies under way (the agents abort and clean up) and waits for their syncs to end; their
 * volumes stay 'running' for the next start.
 */
export class DataRestorer {
  private readonly controller: Controller;

  constructor(private readonly ctx: ClusterContext) {
    this.controller = new Controller({
      name: 'restores',
      registry: ctx.controllers,
      store: ctx.store,
      log: ctx.log,
      kinds: ['restore', 'claim', 'task', 'volume', 'node', 'app'],
      keysOf: (change) => restoreKeysOf(ctx.store, change),
      sync: (key, signal) => this.sync(key, signal),
      queue: { concurrency: CONCURRENCY, baseDelayMs: 1000, maxDelayMs: 30_000 },
    });
  }

  /** Syncs every restore under way and its volumes, then each one that changes. */
  start(): void {
    this.controller.start();
  }

  /** Resolves once every change seen so far is acted on (copies under way included). */
  idle(): Promise<void> {
    return this.controller.idle();
  }

  /** Cancels the copies under way and resolves once their syncs have ended: nothing may write to the store after it is closed. */
  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async sync(key: string, signal: AbortSignal): Promise<void> {
    const { restoreId, claimId } = parseRestoreKey(key);
    const restore = this.ctx.store.restores.get(restoreId);
    if (signal.aborted || restore?.source.kind !== 'backup') return;
    if (restore.state === 'rolling-back') {
      if (claimId === undefined) this.rollBack(restore);
      return;
    }
    if (restore.state !== 'restoring' || !this.stillPossible(restore)) return;
    if (claimId === undefined) this.finishIfDone(restoreId);
    else await this.fill(restore, claimId, key, signal);
  }

  /** Fails the restore when its app or one of its claims is gone (every sync of it asks: none waits for another). */
  private stillPossible(restore: RestoreRecord): boolean {
    const { store } = this.ctx;
    const app = store.apps.get(restore.app);
    if (!app || app.deleting) {
      this.fail(restore.id, `app ${restore.app} was deleted during the restore`);
      return false;
    }
    for (const v of restore.volumes) {
      const claim = store.claims.get(v.claimId);
      if (!claim || claim.dataSource?.kind !== 'backup' || claim.dataSource.restoreId !== restore.id) {
        this.fail(restore.id, `claim ${v.claimId} of volume ${v.volume} is gone`);
        return false;
      }
    }
    return true;
  }

  /** One volume: copied once it is ready to fill, else its message says why it waits. */
  private async fill(restore: RestoreRecord, claimId: string, key: string, signal: AbortSignal): Promise<void> {
    const { store } = this.ctx;
    const v = restore.volumes.find((x) => x.claimId === claimId);
    const claim = store.claims.get(claimId);
    if (!v || !claim || claim.dataRestored || restore.source.kind !== 'backup') return;
    const repository = store.repositories.get(restore.source.repository);
    if (!repository) {
      this.fail(restore.id, `repository ${restore.source.repository} was removed from the cluster; volume ${v.volume} cannot be restored`);
      return;
    }
    const target = this.targetOf(claim);
    if (typeof target === 'string') {
      // Say why this volume waits (no room, node down…): `berth restore describe` and --wait show it.
      if (v.message !== target) this.updateVolume(restore.id, claim.id, (x) => ({ ...x, message: target }));
      return;
    }
    // A volume found 'running' here was interrupted (crash, stop): it is written again from scratch.
    await this.copy(restore, claim, target.volume, target.node, { location: repository.location, passphrase: repository.passphrase }, key, signal);
  }

  /** The provisioned volume and the node to write it on once the instance's task was provisioned, else why not yet. */
  private targetOf(claim: ClaimRecord): { volume: VolumeRecord; node: NodeRecord } | string {
    const { store } = this.ctx;
    const taskId = taskIdOf(claim.app, claim.instance);
    const task = store.tasks.get(taskId);
    if (!task?.nodeId || task.state !== 'assigned' || claim.state !== 'bound' || !claim.volumeId) {
      return `waiting for instance ${taskId} to be placed and its volume created${task?.message ? `: ${task.message}` : ''}`;
    }
    const volume = store.volumes.get(claim.volumeId);
    if (!volume?.csiVolumeId || volume.state !== 'ready') return `waiting for volume ${claim.volumeId} to be ready`;
    // Shared storage has no node of its own: write it where its instance will mount it.
    const nodeId = volume.nodeId ?? task.nodeId;
    const node = store.nodes.get(nodeId);
    if (!node || node.state !== 'ready') return `waiting for node ${nodeId} to be ready`;
    return { volume, node };
  }

  /** Runs the mover into the volume and records the outcome; returns when it has ended. */
  private async copy(
    restore: RestoreRecord,
    claim: ClaimRecord,
    volume: VolumeRecord,
    node: NodeRecord,
    repository: { location: string; passphrase: string },
    key: string,
    signal: AbortSignal,
  ): Promise<void> {
    const { store } = this.ctx;
    const source = claim.dataSource as BackupDataSource;
    const sc = store.storageClasses.get(claim.storageClass)?.spec;
    const request = {
      operationId: restore.id,
      repository,
      backupId: source.id,
      volumeName: source.volume,
      plugin: volume.plugin,
      volumeId: volume.csiVolumeId!,
      block: claim.volumeMode === 'block',
      fsType: sc?.fsType ?? '',
      accessMode: csiAccessMode(claim.accessMode),
      volumeContext: volume.volumeContext,
      publishContext: volume.published?.[node.id] ?? {},
      nodeSecrets: secretData(store, sc?.stageSecret),
      publishSecrets: secretData(store, sc?.publishSecret),
      mountFlags: [...(sc?.mountOptions ?? [])],
    };
    // The copy is cancelled when the controller stops, or once its restore no longer wants it: rolled
    // back (another volume failed) or its app being deleted.
    const cancel = new AbortController();
    const onStop = () => cancel.abort();
    signal.addEventListener('abort', onStop, { once: true });
    const unwatch = store.watch((changes) => {
      for (const c of changes) {
        const unwanted =
          (c.kind === 'restore' && c.id === restore.id && c.after?.state !== 'restoring') ||
          (c.kind === 'app' && c.id === restore.app && (!c.after || c.after.deleting));
        if (unwanted) cancel.abort();
      }
    });
    this.updateVolume(restore.id, claim.id, (x) => ({ ...x, state: 'running', nodeId: node.id, bytesDone: 0, message: undefined }));
    this.ctx.event(
      `claim/${claim.id}`,
      'RestoringData',
      `restore ${restore.id}: writing volume ${source.volume} of backup ${source.id} into ${volume.id} on node ${node.id}`,
    );
    // Progress is written at most once a second per volume: the store fsyncs every transaction.
    let progressWrittenAt = 0;
    const onProgress = (p: MoverProgress) => {
      const now = Date.now();
      if (cancel.signal.aborted || now - progressWrittenAt < PROGRESS_EVERY_MS) return;
      progressWrittenAt = now;
      this.updateVolume(restore.id, claim.id, (x) => (x.state === 'running' ? { ...x, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal || x.bytesTotal } : x));
    };
    let bytes: number;
    try {
      // Tests: pause here (server.restore.before-mover@app:ms) to kill the server mid-restore.
      await pausePoint('server.restore.before-mover', { subject: restore.app, signal: cancel.signal });
      ({ bytes } = await this.ctx.links.get(node).restoreVolume(request, onProgress, cancel.signal));
    } catch (error) {
      // Stopping: the volume stays 'running' and the next start's sync writes it again.
      if (signal.aborted) return;
      // Unwanted: a rollback has recorded why; an app being deleted is recorded now.
      const latest = store.restores.get(restore.id);
      if (cancel.signal.aborted) {
        if (latest?.state === 'restoring') this.stillPossible(latest);
        return;
      }
      this.failed(restore.id, claim.id, source.volume, key, error);
      return;
    } finally {
      signal.removeEventListener('abort', onStop);
      unwatch();
    }
    this.succeeded(restore.id, claim.id, bytes);
  }

  private succeeded(restoreId: string, claimId: string, bytes: number): void {
    const { store } = this.ctx;
    store.transaction(() => {
      const restore = store.restores.get(restoreId);
      const claim = store.claims.get(claimId);
      // Rolled back meanwhile (another volume failed, the app was deleted): the data is not wanted.
      if (restore?.state !== 'restoring' || !claim) return;
      store.claims.put(claimId, { ...claim, dataRestored: true });
      this.updateVolume(restoreId, claimId, (x) => ({
        ...x,
        state: 'done',
        bytesDone: Math.max(bytes, x.bytesDone),
        bytesTotal: Math.max(bytes, x.bytesTotal),
        message: undefined,
      }));
      this.ctx.event(`claim/${claimId}`, 'DataRestored', `restore ${restoreId}: ${bytes} bytes written and verified`);
      this.finishIfDone(restoreId);
    });
    // Wake agents whose Sync waits: the instance may start now.
    this.ctx.changed();
  }

  /** A transient failure is recorded and thrown (the work queue retries the volume after its back-off); any other fails the restore. */
  private failed(restoreId: string, claimId: string, volume: string, key: string, error: unknown): void {
    const restore = this.ctx.store.restores.get(restoreId);
    const node = restore?.volumes.find((v) => v.claimId === claimId)?.nodeId;
    const detail = error instanceof Error ? error.message : String(error);
    if (isTransient(error)) {
      const { attempt, delayMs } = this.controller.retryOf(key);
      const message = `attempt ${attempt} failed, retrying in ${Math.round(delayMs / 1000)}s: ${detail}`;
      this.updateVolume(restoreId, claimId, (x) => ({ ...x, state: 'pending', message }));
      this.ctx.event(`claim/${claimId}`, 'RestoreRetrying', `restore ${restoreId}, volume ${volume}: ${message}`);
      throw error;
    }
    const what = error instanceof AgentCallError && error.status === grpc.status.DATA_LOSS ? 'the backup is damaged: ' : '';
    this.fail(restoreId, `volume ${volume} (claim ${claimId}${node ? ` on node ${node}` : ''}): ${what}${detail}`, claimId);
  }

  /**
   * Gives up on a restore: records why (naming the volume), then rolls back — the app is deleted and
   * with it every restored volume, regardless of reclaim policy (cleanup.ts asks mustDeleteOnReclaim).
   * The copies of its other volumes see the restore leave 'restoring' and cancel themselves.
   */
  private fail(restoreId: string, message: string, claimId?: string): void {
    const { store } = this.ctx;
    store.transaction(() => {
      const restore = store.restores.get(restoreId);
      if (restore?.state !== 'restoring') return;
      store.restores.put(restoreId, {
        ...restore,
        state: 'rolling-back',
        message,
        volumes: restore.volumes.map((v) =>
          v.claimId === claimId
            ? { ...v, state: 'failed', message }
            : v.state === 'running'
              ? { ...v, state: 'pending', message: 'cancelled by the rollback' }
              : v,
        ),
      });
      this.ctx.event(
        `app/${restore.app}`,
        'RestoreFailed',
        `restore ${restoreId} failed, rolling back (the app and its restored volumes are deleted): ${message}`,
      );
      this.deleteApp(restore);
    });
  }

  /** Marks the restored app deleting — only if it is still the app this restore created (its claims say so). */
  private deleteApp(restore: RestoreRecord): void {
    const { store } = this.ctx;
    const app = store.apps.get(restore.app);
    if (!app || app.deleting || this.ownClaims(restore).length === 0) return;
    store.apps.put(app.name, { ...app, deleting: true });
  }

  /** The claims the restore created (all of its app). */
  private ownClaims(restore: RestoreRecord): ClaimRecord[] {
    return this.ctx.store.claims.where('app', restore.app).filter((c) => c.dataSource?.kind === 'backup' && c.dataSource.restoreId === restore.id);
  }

  /** Rollback is done when the cleanup controller has removed every claim of the restore and the app. */
  private rollBack(restore: RestoreRecord): void {
    const { store } = this.ctx;
    store.transaction(() => {
      this.deleteApp(restore);
      if (this.ownClaims(restore).length > 0 || store.apps.get(restore.app)?.deleting) return;
      store.restores.put(restore.id, { ...restore, state: 'failed', finishedAt: new Date().toISOString() });
      this.ctx.event(`app/${restore.app}`, 'RestoreRolledBack', `restore ${restore.id} rolled back: app ${restore.app} and its restored volumes are deleted`);
    });
  }

  /**
   * Once every volume is written the instances may start; the restore is ready when they run and are
   * ready (readiness-checked apps) — until then it says which instance it waits for.
   */
  private finishIfDone(restoreId: string): void {
    const { store } = this.ctx;
    store.transaction(() => {
      const restore = store.restores.get(restoreId);
      if (restore?.state !== 'restoring') return;
      const done = restore.volumes.every((v) => store.claims.get(v.claimId)?.dataRestored);
      if (!done) return;
      const volumes = restore.volumes.map((v) => ({ ...v, state: 'done' as const, bytesDone: Math.max(v.bytesDone, v.bytesTotal) }));
      const dataRestoredAt = restore.dataRestoredAt ?? new Date().toISOString();
      if (restore.source.kind === 'backup' && !restore.dataRestoredAt) {
        this.ctx.event(
          `app/${restore.app}`,
          'Restored',
          `restore ${restoreId}: every volume of app ${restore.app} written from backup ${restore.source.backupId} and verified; the instances start`,
        );
      }
      const waiting = this.notReadyInstance(restore.app);
      if (waiting) {
        store.restores.put(restoreId, { ...restore, volumes, dataRestoredAt, message: `data restored; ${waiting}` });
        return;
      }
      store.restores.put(restoreId, { ...restore, state: 'ready', message: undefined, dataRestoredAt, finishedAt: new Date().toISOString(), volumes });
      this.ctx.event(`app/${restore.app}`, 'RestoreReady', `restore ${restoreId} ready: every instance of app ${restore.app} runs on its restored data`);
    });
  }

  /** The first instance of the app that does not run, or runs without passing its readiness check, in words; undefined when all are ready. */
  private notReadyInstance(appName: string): string | undefined {
    const app = this.ctx.store.apps.get(appName);
    if (!app) return undefined;
    const tasks = new Map(this.ctx.store.tasks.where('app', appName).map((t) => [t.instance, t]));
    for (let i = 0; i < app.spec.instances; i++) {
      const t = tasks.get(i);
      if (!t || t.state !== 'running') return `waiting for instance ${i} to run (${t ? `${t.state}${t.message ? `: ${t.message}` : ''}` : 'no task yet'})`;
      if (app.spec.readiness && t.health !== 'healthy')
        return `waiting for instance ${i} to be ready (${t.health ?? 'unknown'}${t.healthMessage ? `: ${t.healthMessage}` : ''})`;
    }
    return undefined;
  }

  private updateVolume(restoreId: string, claimId: string, change: (v: RestoreVolumeRecord) => RestoreVolumeRecord): void {
    const { store } = this.ctx;
    store.transaction(() => {
      const restore = store.restores.get(restoreId);
      if (!restore) return;
      store.restores.put(restoreId, { ...restore, volumes: restore.volumes.map((v) => (v.claimId === claimId ? change(v) : v)) });
    });
  }
}
