import * as grpc from '@grpc/grpc-js';
import { pausePoint } from '../../lib/failpoints/failpoints';
import { AgentCallError } from '../agents/agent-call-error';
import type { MoverProgress } from '../agents/node-link';
import type { ClusterContext } from '../cluster-context';
import { csiAccessMode, taskIdOf } from '../store/naming';
import type { BackupDataSource, ClaimRecord, NodeRecord, RestoreRecord, RestoreVolumeRecord, VolumeRecord } from '../store/records';
import { secretData } from '../store/secrets';

/** gRPC codes after which the same call may succeed later: the agent or its node is busy, restarting or unreachable. */
const TRANSIENT = new Set<grpc.status>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED,
  grpc.status.CANCELLED,
]);
const PROGRESS_EVERY_MS = 1000;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

/** A claim whose data comes from a backup and is not written yet: its instance must not start. */
export function awaitingData(claim: ClaimRecord | undefined): boolean {
  return claim?.dataSource?.kind === 'backup' && !claim.dataRestored;
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
 * Fills the volumes of restores from a backup. Level-triggered like every controller, but the copy
 * itself takes long, so `reconcile` only starts a call per ready volume (at most one per volume) and
 * returns; the call runs in the background and its outcome is written when it ends. A volume is ready
 * to fill when its claim is bound and its instance's task was provisioned ('assigned': the volume
 * exists on the node the task was placed on and is ControllerPublished there if the plugin needs it)
 * — the task itself reaches its agent only once every claim is `dataRestored` (assignments.ts).
 *
 * After a crash nothing in flight survives: a volume found 'running' with no call here is simply
 * restored again from scratch into the same volume (the mover makes that end with exactly the
 * backup's tree), and a restore found 'rolling-back' finishes its rollback.
 */
export class DataRestorer {
  private readonly inFlight = new Map<string, { restoreId: string; abort: AbortController; done?: Promise<void> }>();
  private readonly retries = new Map<string, { attempts: number; notBefore: number }>();
  private readonly progressWrittenAt = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly ctx: ClusterContext,
    private readonly kick: () => void,
  ) {}

  reconcile(): void {
    if (this.stopped) return;
    for (const restore of this.ctx.store.restores.list()) {
      if (restore.source.kind !== 'backup') continue;
      if (restore.state === 'restoring') this.advance(restore);
      else if (restore.state === 'rolling-back') this.rollBack(restore);
    }
  }

  /**
   * Cancels the calls in flight (the agents abort and clean up; a restarted server starts them again)
   * and waits until they have settled: nothing may write to the store after it is closed.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const calls = [...this.inFlight.values()];
    for (const { abort } of calls) abort.abort();
    await Promise.all(calls.map((c) => c.done));
  }

  private advance(restore: RestoreRecord): void {
    const { store } = this.ctx;
    const app = store.apps.get(restore.app);
    if (!app || app.deleting) {
      this.fail(restore.id, `app ${restore.app} was deleted during the restore`);
      return;
    }
    if (restore.source.kind !== 'backup') return;
    const repository = store.repositories.get(restore.source.repository);
    for (const v of restore.volumes) {
      const claim = store.claims.get(v.claimId);
      if (!claim || claim.dataSource?.kind !== 'backup' || claim.dataSource.restoreId !== restore.id) {
        this.fail(restore.id, `claim ${v.claimId} of volume ${v.volume} is gone`);
        return;
      }
      if (claim.dataRestored || this.inFlight.has(claim.id)) continue;
      if ((this.retries.get(claim.id)?.notBefore ?? 0) > Date.now()) continue;
      if (!repository) {
        this.fail(restore.id, `repository ${restore.source.repository} was removed from the cluster; volume ${v.volume} cannot be restored`);
        return;
      }
      const target = this.targetOf(claim);
      if (typeof target === 'string') {
        // Say why this volume waits (no room, node down…): `berth restore describe` and --wait show it.
        if (v.message !== target) this.updateVolume(restore.id, claim.id, (x) => ({ ...x, message: target }));
        continue;
      }
      this.start(restore, v, claim, target.volume, target.node, { location: repository.location, passphrase: repository.passphrase });
    }
    this.finishIfDone(restore.id);
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

  private start(
    restore: RestoreRecord,
    v: RestoreVolumeRecord,
    claim: ClaimRecord,
    volume: VolumeRecord,
    node: NodeRecord,
    repository: { location: string; passphrase: string },
  ): void {
    const { store } = this.ctx;
    const source = claim.dataSource as BackupDataSource;
    const sc = store.storageClasses.get(claim.storageClass)?.spec;
    const abort = new AbortController();
    const call: { restoreId: string; abort: AbortController; done?: Promise<void> } = { restoreId: restore.id, abort };
    this.inFlight.set(claim.id, call);
    this.updateVolume(restore.id, claim.id, (x) => ({ ...x, state: 'running', nodeId: node.id, bytesDone: 0, message: undefined }));
    this.ctx.event(
      `claim/${claim.id}`,
      'RestoringData',
      `restore ${restore.id}: writing volume ${source.volume} of backup ${source.id} into ${volume.id} on node ${node.id}`,
    );
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
    const onProgress = (p: MoverProgress) => this.progress(restore.id, claim.id, p);
    // Tests: pause here (server.restore.before-mover@app:ms) to kill the server mid-restore.
    call.done = pausePoint('server.restore.before-mover', { subject: restore.app, signal: abort.signal })
      .then(() => this.ctx.links.get(node).restoreVolume(request, onProgress, abort.signal))
      .then((result) => this.succeeded(restore.id, claim.id, result.bytes))
      .catch((error: unknown) => {
        if (!abort.signal.aborted) this.failed(restore.id, claim.id, source.volume, error);
      })
      .catch((err: unknown) => this.ctx.log.error({ err, claim: claim.id }, 'recording a volume restore failed'))
      .finally(() => {
        this.inFlight.delete(claim.id);
        this.progressWrittenAt.delete(claim.id);
        this.kick();
      });
  }

  /** Progress is written at most once a second per volume: the store fsyncs every transaction. */
  private progress(restoreId: string, claimId: string, p: MoverProgress): void {
    const now = Date.now();
    if (this.stopped || now - (this.progressWrittenAt.get(claimId) ?? 0) < PROGRESS_EVERY_MS) return;
    this.progressWrittenAt.set(claimId, now);
    this.updateVolume(restoreId, claimId, (x) => (x.state === 'running' ? { ...x, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal || x.bytesTotal } : x));
  }

  private succeeded(restoreId: string, claimId: string, bytes: number): void {
    const { store } = this.ctx;
    this.retries.delete(claimId);
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

  private failed(restoreId: string, claimId: string, volume: string, error: unknown): void {
    const restore = this.ctx.store.restores.get(restoreId);
    const node = restore?.volumes.find((v) => v.claimId === claimId)?.nodeId;
    const detail = error instanceof Error ? error.message : String(error);
    if (error instanceof AgentCallError && TRANSIENT.has(error.status)) {
      const attempts = (this.retries.get(claimId)?.attempts ?? 0) + 1;
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (attempts - 1));
      this.retries.set(claimId, { attempts, notBefore: Date.now() + delay });
      const message = `attempt ${attempts} failed, retrying in ${Math.round(delay / 1000)}s: ${detail}`;
      this.updateVolume(restoreId, claimId, (x) => ({ ...x, state: 'pending', message }));
      this.ctx.event(`claim/${claimId}`, 'RestoreRetrying', `restore ${restoreId}, volume ${volume}: ${message}`);
      return;
    }
    this.retries.delete(claimId);
    const what = error instanceof AgentCallError && error.status === grpc.status.DATA_LOSS ? 'the backup is damaged: ' : '';
    this.fail(restoreId, `volume ${volume} (claim ${claimId}${node ? ` on node ${node}` : ''}): ${what}${detail}`, claimId);
  }

  /**
   * Gives up on a restore: records why (naming the volume), then rolls back — the app is deleted and
   * with it every restored volume, regardless of reclaim policy (cleanup.ts asks mustDeleteOnReclaim).
   */
  private fail(restoreId: string, message: string, claimId?: string): void {
    const { store } = this.ctx;
    const started = store.transaction(() => {
      const restore = store.restores.get(restoreId);
      if (restore?.state !== 'restoring') return false;
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
      return true;
    });
    if (!started) return;
    for (const [claim, call] of this.inFlight) if (call.restoreId === restoreId && claim !== claimId) call.abort.abort();
    // Claim ids are `<app>/<template>/<i>`: a later restore under the same name must not inherit a back-off.
    for (const v of store.restores.get(restoreId)?.volumes ?? []) this.retries.delete(v.claimId);
    this.kick();
  }

  /** Marks the restored app deleting — only if it is still the app this restore created (its claims say so). */
  private deleteApp(restore: RestoreRecord): void {
    const { store } = this.ctx;
    const app = store.apps.get(restore.app);
    if (!app || app.deleting || !this.ownClaims(restore.id).some((c) => c.app === app.name)) return;
    store.apps.put(app.name, { ...app, deleting: true });
  }

  private ownClaims(restoreId: string): ClaimRecord[] {
    return this.ctx.store.claims.list().filter((c) => c.dataSource?.kind === 'backup' && c.dataSource.restoreId === restoreId);
  }

  /** Rollback is done when the cleanup controller has removed every claim of the restore and the app. */
  private rollBack(restore: RestoreRecord): void {
    const { store } = this.ctx;
    store.transaction(() => {
      this.deleteApp(restore);
      if (this.ownClaims(restore.id).length > 0 || store.apps.get(restore.app)?.deleting) return;
      store.restores.put(restore.id, { ...restore, state: 'failed', finishedAt: new Date().toISOString() });
      this.ctx.event(`app/${restore.app}`, 'RestoreRolledBack', `restore ${restore.id} rolled back: app ${restore.app} and its restored volumes are deleted`);
    });
  }

  private finishIfDone(restoreId: string): void {
    const { store } = this.ctx;
    store.transaction(() => {
      const restore = store.restores.get(restoreId);
      if (restore?.state !== 'restoring') return;
      const done = restore.volumes.every((v) => store.claims.get(v.claimId)?.dataRestored);
      if (!done) return;
      store.restores.put(restoreId, {
        ...restore,
        state: 'ready',
        finishedAt: new Date().toISOString(),
        volumes: restore.volumes.map((v) => ({ ...v, state: 'done', bytesDone: Math.max(v.bytesDone, v.bytesTotal) })),
      });
      if (restore.source.kind === 'backup') {
        this.ctx.event(
          `app/${restore.app}`,
          'Restored',
          `restore ${restoreId}: every volume of app ${restore.app} written from backup ${restore.source.backupId} and verified; the instances start`,
        );
      }
    });
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
