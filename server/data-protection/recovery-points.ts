import { randomBytes } from 'node:crypto';
import { staticHolderId, taskHolderId } from '../../core/reservations';
import type { ClusterContext } from '../cluster-context';
import type { ClusterStore } from '../store/cluster-store';
import { pluginTraits } from '../agents/plugin-traits';
import { conflict, dependencyFailed, notFound, unavailable } from '../../lib/errors';
import { claimIdOf, volumeRole } from '../store/naming';
import { hookPolicy } from '../../core/manifests';
import type { HookPhase, Hooks } from '../../core/manifests';
import { hookFailure, hookRunEvent, notReadyRun, readyForHooks, runHook } from './hook-runs';
import type { AppRecord, ClaimRecord, HookRun, NodeRecord, RecoveryPointRecord, RecoveryPointSnapshot, TaskRecord, VolumeRecord } from '../store/records';
import { secretData } from '../store/secrets';
import { awaitingData } from '../controllers/data-restore';
import { Controller } from '../controllers/runtime/controller';
import { waitForStore } from '../controllers/runtime/wait-for';
import type { StoreChange } from '../store/cluster-store';

const newRecoveryPointId = (): string => `rp-${randomBytes(6).toString('hex')}`;
const GROUP_CAPABILITY = 'CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT';

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The summary `berth get snapshots` lists; `-o json|yaml` shows it whole. */
export function recoveryPointSummary(rp: RecoveryPointRecord): RecoveryPointRecord & { volumes: number } {
  return { ...rp, volumes: rp.snapshots.length };
}

/** Every recovery point, oldest first. */
export function listRecoveryPoints(store: ClusterStore): (RecoveryPointRecord & { volumes: number })[] {
  return store.recoveryPoints
    .list()
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map(recoveryPointSummary);
}

/** One planned snapshot with what is needed to call its controller. */
interface Planned {
  snap: RecoveryPointSnapshot;
  node?: NodeRecord;
  secrets: Record<string, string>;
}

/**
 * Recovery points: an app and its volumes captured together, in this order —
 *   1. intent: the record (`creating`) with each snapshot's CreateSnapshot name, before any CSI call;
 *   2. `hooks.preSnapshot` in every running instance (AgentNode.Exec on its node), in parallel, each
 *      killed at the hook's timeout; a failure fails the recovery point (`onFailure: fail`, the
 *      default) or makes it crash-consistent with the reason recorded (`continue`);
 *   3. the snapshots, all started at once: one CreateVolumeGroupSnapshot per controller offering the
 *      group controller, else CreateSnapshot per volume;
 *   4. `hooks.postSnapshot` in the same instances — always, also after a failed step; its failure is
 *      recorded and never undoes the snapshots (see postSnapshotFailure);
 *   5. `ready` (or `failed`, with the snapshots already taken deleted again).
 * `create` writes the intent (1) and waits; steps 2–5 are the sync of a controller of the runtime
 * (controllers/runtime/), keyed by recovery point id, which decides from the record alone:
 * - `creating` with no step started (no preHooksStarted/snapshotsStarted): take it (2–5);
 * - `creating` with a step started when the sync begins: interrupted — by a crash, or by a sync that
 *   threw half-way (a key is never synced twice at once, so nobody in this process runs those steps).
 *   It is undone: postSnapshot runs if preSnapshot had started, snapshots taken or possibly taken are
 *   deleted (found again by their names), the record is marked failed;
 * - `deleting`: its snapshots are deleted, then the record (a failure is recorded and retried).
 * Starting the controller syncs every record, so a restarted server undoes what a crash interrupted
 * by the same path.
 */
export class RecoveryPoints {
  private readonly controller: Controller;

  constructor(private readonly ctx: ClusterContext) {
    this.controller = new Controller({
      name: 'recovery-points',
      registry: ctx.controllers,
      store: ctx.store,
      log: ctx.log,
      kinds: ['recoverypoint'],
      keysOf: (change: StoreChange) => (change.after ? [change.id] : []),
      sync: (id) => this.sync(id),
      // A sync lasts as long as its hooks and CSI calls: recovery points of different apps (and deletes) must not queue behind one another.
      queue: { concurrency: 64 },
    });
  }

  /** Syncs every recovery point (undoing what a crash interrupted), then each one that changes. */
  start(): void {
    this.controller.start();
  }

  /** Resolves once every change seen so far is acted on. */
  idle(): Promise<void> {
    return this.controller.idle();
  }

  /**
   * Stops taking work and waits (at most `graceMs`) for the syncs under way: hooks and CSI calls are
   * not cancelled, and a recovery point left `creating` is undone at the next start.
   */
  stop(graceMs = 10_000): Promise<void> {
    return this.controller.stop(graceMs);
  }

  list(): (RecoveryPointRecord & { volumes: number })[] {
    return listRecoveryPoints(this.ctx.store);
  }

  get(id: string): RecoveryPointRecord {
    const rp = this.ctx.store.recoveryPoints.get(id);
    if (!rp) throw notFound(`recovery point ${id} not found`);
    return rp;
  }

  /**
   * Writes the intent and answers once its controller has taken it (`ready`) or throws why it failed.
   * `onStarted` gets the id in the transaction that stores the intent (a backup records it there, so
   * no crash can leave a recovery point its backup does not know of).
   */
  async create(appName: string, onStarted?: (id: string) => void): Promise<RecoveryPointRecord> {
    const { store } = this.ctx;
    const app = this.check(appName);
    this.refuseBusy(appName);
    const intent = await this.intent(app);
    // Checked again with no await before the put: two creates of one app cannot both get through.
    this.refuseBusy(appName);
    if (this.controller.isStopped) throw shuttingDown();
    store.transaction(() => {
      store.recoveryPoints.put(intent.id, intent);
      onStarted?.(intent.id);
    });
    this.ctx.event(
      `app/${app.name}`,
      'SnapshotStarted',
      `recovery point ${intent.id}: ${intent.snapshots.length} volume(s) of ${app.name} generation ${app.generation}`,
    );
    const rp = await waitForStore(
      store,
      () => {
        const r = store.recoveryPoints.get(intent.id);
        return r?.state === 'creating' ? undefined : { r };
      },
      this.controller.stopSignal,
      shuttingDown,
    ).then(({ r }) => r);
    if (!rp) throw notFound(`recovery point ${intent.id} not found`);
    if (rp.state === 'failed')
      throw dependencyFailed(`snapshot of app ${app.name} failed: ${rp.message}${rp.spec.hooks.postSnapshot.length > 0 ? ' (postSnapshot hooks ran)' : ''}`);
    const postFailed = postSnapshotFailure(rp);
    if (postFailed) throw dependencyFailed(postFailed);
    return rp;
  }

  private refuseBusy(appName: string): void {
    if (this.ctx.store.recoveryPoints.where('app', appName).some((r) => r.state === 'creating'))
      throw conflict(`a snapshot of app ${appName} is already being taken`);
  }

  /**
   * Everything `create` checks before touching anything (app exists and is not being deleted, every
   * claim bound to a ready volume, every plugin able to snapshot); throws the same errors, changes nothing.
   */
  check(appName: string): AppRecord {
    const app = this.ctx.store.apps.get(appName);
    if (!app) throw notFound(`app ${appName} not found`);
    if (app.deleting) throw conflict(`app ${appName} is being deleted`);
    // A volume still waiting for its data would be snapshotted empty: a backup of it could then push
    // the good backups out of retention.
    const unrestored = this.ctx.store.claims.list().find((c) => c.app === appName && awaitingData(c));
    if (unrestored) throw conflict(`app ${appName} is still being restored (claim ${unrestored.id} has no data yet); try again once the restore is ready`);
    this.plan(app, 'check');
    return app;
  }

  /** Checks everything that can be checked before touching anything: every claim bound, every plugin able to snapshot. */
  private plan(app: AppRecord, id: string): { claims: ClaimRecord[]; planned: RecoveryPointSnapshot[] } {
    const { store } = this.ctx;
    const claims: ClaimRecord[] = [];
    const planned: RecoveryPointSnapshot[] = [];
    for (let i = 0; i < app.spec.instances; i++) {
      for (const tpl of app.spec.volumes) {
        const claimId = claimIdOf(app.name, tpl.name, i);
        const claim = store.claims.get(claimId);
        const volume: VolumeRecord | undefined = claim?.volumeId ? store.volumes.get(claim.volumeId) : undefined;
        if (!claim || !volume || volume.state !== 'ready' || !volume.csiVolumeId) {
          throw conflict(
            `claim ${claimId} has no ready volume yet (${claim ? claim.state : 'not created'}); snapshot once every instance's volumes are provisioned`,
          );
        }
        const node = volume.nodeId ? store.nodes.get(volume.nodeId) : store.nodes.list().find((n) => n.plugins.some((p) => p.name === volume.plugin));
        const report =
          node?.plugins.find((p) => p.name === volume.plugin) ??
          store.nodes
            .list()
            .flatMap((n) => n.plugins)
            .find((p) => p.name === volume.plugin);
        if (!report) throw conflict(`CSI plugin ${volume.plugin} of claim ${claimId} is not reported by any node`);
        if (!pluginTraits(report).snapshots) {
          throw conflict(
            `CSI plugin ${volume.plugin} cannot take snapshots (no CREATE_DELETE_SNAPSHOT controller capability): claim ${claimId} cannot be part of a recovery point`,
          );
        }
        claims.push(claim);
        planned.push({
          claimId,
          template: tpl.name,
          instance: i,
          plugin: volume.plugin,
          nodeId: node?.id,
          csiName: `berth-${id}-${planned.length}`,
          sourceVolumeId: volume.id,
          sourceCsiVolumeId: volume.csiVolumeId,
          sizeBytes: volume.capacityBytes,
        });
      }
    }
    return { claims, planned };
  }

  /** The intent record: spec, claims, storage classes, reservations and each snapshot's CreateSnapshot name. */
  private async intent(app: AppRecord): Promise<RecoveryPointRecord> {
    const { store } = this.ctx;
    const id = newRecoveryPointId();
    const { claims, planned } = this.plan(app, id);
    const classNames = [...new Set(claims.map((c) => c.storageClass))];
    const taskHolders = new Set(store.tasks.where('app', app.name).map((t) => taskHolderId(t.id)));
    const volumeHolders = new Set(planned.map((p) => p.nodeId && staticHolderId(p.nodeId, volumeRole(p.sourceVolumeId))));
    const reservations = (await this.ctx.ledger.list())
      .filter((r) => taskHolders.has(r.holderId) || volumeHolders.has(r.holderId))
      .map((r) => ({
        holderId: r.holderId,
        nodeId: r.nodeId,
        cpuMillis: r.amounts.cpuMillis,
        memoryBytes: r.amounts.memoryBytes,
        pools: r.amounts.pools.map((p) => ({ plugin: p.plugin, pool: p.pool, bytes: p.bytes, ...(p.claimId ? { claimId: p.claimId } : {}) })),
      }));
    return {
      id,
      app: app.name,
      generation: app.generation,
      spec: app.spec,
      claims,
      storageClasses: classNames.flatMap((n) => store.storageClasses.get(n) ?? []),
      reservations,
      snapshots: planned,
      hooks: [],
      consistency: 'crash-consistent',
      state: 'creating',
      createdAt: new Date().toISOString(),
    };
  }

  /** One recovery point brought one step towards what its record says (see the class comment). */
  private async sync(id: string): Promise<void> {
    const rp = this.ctx.store.recoveryPoints.get(id);
    if (!rp) return;
    if (rp.state === 'deleting') return this.finishDelete(rp);
    if (rp.state !== 'creating') return;
    if (rp.preHooksStarted || rp.snapshotsStarted) return this.undo(rp);
    return this.take(rp);
  }

  /** Steps 2–5 from the intent record (the app's spec as it was at the intent). */
  private async take(intent: RecoveryPointRecord): Promise<void> {
    const { store } = this.ctx;
    let rp = intent;
    const save = (patch: Partial<RecoveryPointRecord>) => {
      rp = { ...rp, ...patch };
      store.recoveryPoints.put(rp.id, rp);
    };
    const { spec } = rp;
    const planned: Planned[] = rp.snapshots.map((snap) => ({
      snap,
      node: snap.nodeId ? store.nodes.get(snap.nodeId) : undefined,
      secrets: this.secretsFor(snap),
    }));

    // 2. preSnapshot hooks in every running instance (ready, if the app checks readiness).
    const running = store.tasks
      .where('app', rp.app)
      .filter((t) => t.instance < spec.instances && t.state === 'running' && t.nodeId)
      .sort((a, b) => a.instance - b.instance);
    const pre = spec.hooks.preSnapshot;
    let failure: string | undefined;
    let preLetThrough: string | undefined;
    if (pre.length > 0) {
      save({ preHooksStarted: true });
      const runs = await this.runHooks(rp.app, 'preSnapshot', spec.hooks, running, spec.readiness !== undefined);
      save({ hooks: [...rp.hooks, ...runs] });
      const bad = runs.filter((r) => !r.ok);
      if (bad.length > 0) {
        const what = `${hookFailure(bad[0]!)}${bad.length > 1 ? ` (and in ${bad.length - 1} more instance(s))` : ''}`;
        if (hookPolicy(spec.hooks, 'preSnapshot').onFailure === 'fail') failure = what;
        else preLetThrough = `${what}; onFailure is continue`;
      }
    }
    const consistencyReason =
      pre.length === 0
        ? 'no preSnapshot hook'
        : (preLetThrough ?? (running.length < spec.instances ? `preSnapshot ran in ${running.length} of ${spec.instances} instances` : undefined));

    // 3. Snapshots, all started together.
    if (!failure) {
      save({ snapshotsStarted: true });
      const outcome = await this.snapshotAll(planned);
      save({ snapshots: outcome.snapshots });
      if (outcome.error) failure = outcome.error;
    }

    // 4. postSnapshot hooks: always. A failure never undoes the snapshots (see postSnapshotFailure).
    let postProblem: string | undefined;
    if (spec.hooks.postSnapshot.length > 0) {
      const runs = await this.runHooks(rp.app, 'postSnapshot', spec.hooks, running, spec.readiness !== undefined);
      const bad = runs.find((r) => !r.ok);
      if (bad) postProblem = hookFailure(bad);
      save({ hooks: [...rp.hooks, ...runs], postHooksDone: true });
    }

    // 5. Done, or undone.
    if (failure) {
      const cleanup = await this.deleteSnapshots(rp.snapshots);
      save({ snapshots: cleanup.left, state: 'failed', message: `${failure}${cleanup.error ? `; cleanup: ${cleanup.error}` : ''}` });
      this.ctx.event(`app/${rp.app}`, 'SnapshotFailed', `recovery point ${rp.id} failed: ${rp.message}`);
      return;
    }
    const consistency = consistencyReason === undefined ? 'app-consistent' : 'crash-consistent';
    save({ state: 'ready', consistency, consistencyReason, readyAt: new Date().toISOString(), message: postProblem });
    this.ctx.event(
      `app/${rp.app}`,
      'SnapshotCreated',
      `recovery point ${rp.id} ready: ${rp.snapshots.length} snapshot(s), ${consistency}${consistencyReason ? ` (${consistencyReason})` : ''}${postProblem ? `; ${postProblem}` : ''}`,
    );
  }

  /**
   * One phase's hook in every task, in parallel, each bounded by the phase's timeout; one event per run.
   * A task that runs but is not ready (`hasReadiness`) gets no command: a not-run entry its policy judges.
   */
  private async runHooks(app: string, phase: HookPhase, hooks: Hooks, tasks: TaskRecord[], hasReadiness: boolean): Promise<HookRun[]> {
    const command = phase === 'preSnapshot' ? hooks.preSnapshot : hooks.postSnapshot;
    const policy = hookPolicy(hooks, phase);
    const runs = await Promise.all(
      tasks.map((task) => {
        if (!readyForHooks(task, hasReadiness)) return notReadyRun(phase, task, policy);
        const node = this.ctx.store.nodes.get(task.nodeId!);
        const link = node ? this.ctx.links.get(node) : undefined;
        return runHook(link && ((taskId, cmd, timeoutMs) => link.exec(taskId, cmd, timeoutMs)), phase, task, command, policy);
      }),
    );
    for (const r of runs) this.ctx.event(`app/${app}`, phase === 'preSnapshot' ? 'PreSnapshotHook' : 'PostSnapshotHook', hookRunEvent(r));
    return runs;
  }

  /** Groups the snapshots per controller; each group is one group snapshot or parallel CreateSnapshot calls. */
  private async snapshotAll(planned: Planned[]): Promise<{ snapshots: RecoveryPointSnapshot[]; error?: string }> {
    const groups = new Map<string, Planned[]>();
    for (const p of planned) {
      const endpoint = this.ctx.controllerFor(p.snap.plugin, p.node).endpoint;
      const key = `${p.snap.plugin}\n${endpoint}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    // Capability discovery first, so the snapshot calls themselves start as close together as possible.
    const useGroup = new Map<string, boolean>();
    for (const [key, members] of groups) useGroup.set(key, await this.offersGroupSnapshots(members[0]));
    const errors: string[] = [];
    const results = await Promise.all(
      [...groups.entries()].map(async ([key, members], g) => {
        const client = this.ctx.controllerFor(members[0].snap.plugin, members[0].node);
        if (useGroup.get(key) && members.length > 1) {
          const groupName = `${members[0].snap.csiName.replace(/-\d+$/, '')}-g${g}`;
          try {
            const res = await client.groupController('CreateVolumeGroupSnapshot', {
              name: groupName,
              sourceVolumeIds: members.map((m) => m.snap.sourceCsiVolumeId),
              secrets: members[0].secrets,
              parameters: {},
            });
            const group = res.groupSnapshot!;
            return members.map((m) => {
              const s = group.snapshots.find((x) => x.sourceVolumeId === m.snap.sourceCsiVolumeId);
              return {
                ...m.snap,
                csiName: groupName,
                groupSnapshotId: group.groupSnapshotId,
                csiSnapshotId: s?.snapshotId,
                sizeBytes: Number(s?.sizeBytes) || m.snap.sizeBytes,
              };
            });
          } catch (error) {
            errors.push(`CreateVolumeGroupSnapshot on ${members[0].snap.plugin} failed: ${errorText(error)}`);
            return members.map((m) => ({ ...m.snap, csiName: groupName }));
          }
        }
        return Promise.all(
          members.map(async (m) => {
            try {
              const res = await client.controller('CreateSnapshot', {
                sourceVolumeId: m.snap.sourceCsiVolumeId,
                name: m.snap.csiName,
                secrets: m.secrets,
                parameters: {},
              });
              return { ...m.snap, csiSnapshotId: res.snapshot!.snapshotId, sizeBytes: Number(res.snapshot!.sizeBytes) || m.snap.sizeBytes };
            } catch (error) {
              errors.push(`CreateSnapshot of ${m.snap.claimId} (volume ${m.snap.sourceVolumeId}) failed: ${errorText(error)}`);
              return m.snap;
            }
          }),
        );
      }),
    );
    const snapshots = results.flat();
    if (errors.length === 0 && snapshots.some((s) => !s.csiSnapshotId)) errors.push('the plugin did not return a snapshot for every volume');
    return { snapshots, error: errors.length > 0 ? errors.join('; ') : undefined };
  }

  private async offersGroupSnapshots(p: Planned): Promise<boolean> {
    const report = p.node?.plugins.find((x) => x.name === p.snap.plugin);
    if (!report || !pluginTraits(report).groupController) return false;
    try {
      const caps = await this.ctx.controllerFor(p.snap.plugin, p.node).groupController('GroupControllerGetCapabilities', {});
      return caps.capabilities.some((c) => c.rpc?.type === GROUP_CAPABILITY);
    } catch {
      return false;
    }
  }

  /** Deletes the CSI snapshots of a recovery point; answers those it could not delete. */
  private async deleteSnapshots(snapshots: RecoveryPointSnapshot[]): Promise<{ left: RecoveryPointSnapshot[]; error?: string }> {
    const { store } = this.ctx;
    const left: RecoveryPointSnapshot[] = [];
    const errors: string[] = [];
    const doneGroups = new Set<string>();
    for (const s of snapshots) {
      const node = s.nodeId ? store.nodes.get(s.nodeId) : undefined;
      try {
        const client = this.ctx.controllerFor(s.plugin, node);
        if (s.groupSnapshotId) {
          if (doneGroups.has(s.groupSnapshotId)) continue;
          const members = snapshots.filter((x) => x.groupSnapshotId === s.groupSnapshotId && x.csiSnapshotId).map((x) => x.csiSnapshotId!);
          await client.groupController('DeleteVolumeGroupSnapshot', { groupSnapshotId: s.groupSnapshotId, snapshotIds: members, secrets: this.secretsFor(s) });
          doneGroups.add(s.groupSnapshotId);
        } else if (s.csiSnapshotId) {
          await client.controller('DeleteSnapshot', { snapshotId: s.csiSnapshotId, secrets: this.secretsFor(s) });
        }
      } catch (error) {
        left.push(s);
        errors.push(`${s.csiSnapshotId ?? s.csiName}: ${errorText(error)}`);
      }
    }
    return { left, error: errors.length > 0 ? errors.join('; ') : undefined };
  }

  private secretsFor(s: RecoveryPointSnapshot): Record<string, string> {
    const claim = this.ctx.store.recoveryPoints
      .list()
      .flatMap((rp) => rp.claims)
      .find((c) => c.id === s.claimId);
    const sc = claim ? this.ctx.store.storageClasses.get(claim.storageClass)?.spec : undefined;
    return secretData(this.ctx.store, sc?.provisionerSecret);
  }

  /**
   * Deletes a recovery point: writes `deleting` and waits for its controller, which deletes the CSI
   * snapshots, then the record. Through the controller rather than inline: a `deleting` record is
   * also what a restart finishes, and one sync per key means the two can never delete at once.
   */
  async delete(id: string): Promise<string> {
    const { store } = this.ctx;
    const rp = this.get(id);
    if (rp.state === 'creating') throw conflict(`recovery point ${id} is still being taken`);
    const ids = new Set(rp.snapshots.map((s) => s.csiSnapshotId).filter(Boolean));
    const restoring = store.claims
      .list()
      .find((c) => c.dataSource?.kind === 'snapshot' && ids.has(c.dataSource.id) && (c.state === 'pending' || c.state === 'provisioning'));
    if (restoring) throw conflict(`recovery point ${id} is being restored (claim ${restoring.id} is not provisioned yet); delete it once the restore is done`);
    if (this.controller.isStopped) throw shuttingDown();
    // Without an earlier failure's message: the one the sync writes if this attempt fails is then new.
    store.recoveryPoints.put(id, { ...rp, state: 'deleting', message: undefined });
    this.controller.enqueue(id); // also when the record was already `deleting` (its put changed nothing)
    const failed = await waitForStore(
      store,
      () => {
        const r = store.recoveryPoints.get(id);
        if (!r) return { error: undefined };
        return r.state === 'deleting' && r.message?.startsWith(DELETE_FAILED) ? { error: r.message.slice(DELETE_FAILED.length) } : undefined;
      },
      this.controller.stopSignal,
      shuttingDown,
    );
    if (failed.error !== undefined) throw dependencyFailed(`cannot delete every snapshot of recovery point ${id}: ${failed.error}`);
    return `recovery point ${id} deleted`;
  }

  /** A `deleting` record: its snapshots deleted, then the record; what could not be deleted is recorded and retried. */
  private async finishDelete(rp: RecoveryPointRecord): Promise<void> {
    const { store } = this.ctx;
    const { left, error } = await this.deleteSnapshots(rp.snapshots);
    if (error) {
      store.recoveryPoints.put(rp.id, { ...rp, state: 'deleting', snapshots: left, message: `${DELETE_FAILED}${error}` });
      throw new Error(`cannot delete every snapshot of recovery point ${rp.id}: ${error}`);
    }
    store.recoveryPoints.delete(rp.id);
    this.ctx.event(`app/${rp.app}`, 'SnapshotDeleted', `recovery point ${rp.id} deleted (${rp.snapshots.length} snapshot(s))`);
  }

  /**
   * A recovery point whose steps had started when its sync began (a crash, or a sync that threw):
   * postSnapshot runs if preSnapshot had started, snapshots taken, or possibly taken, are deleted,
   * and the record is marked failed.
   */
  private async undo(rp: RecoveryPointRecord): Promise<void> {
    const { store } = this.ctx;
    let hooks = rp.hooks;
    if (rp.preHooksStarted && !rp.postHooksDone && rp.spec.hooks.postSnapshot.length > 0) {
      const app = store.apps.get(rp.app);
      const tasks = store.tasks.where('app', rp.app).filter((t) => t.state === 'running' && t.nodeId);
      if (app) hooks = [...hooks, ...(await this.runHooks(rp.app, 'postSnapshot', rp.spec.hooks, tasks, rp.spec.readiness !== undefined))];
    }
    // Snapshots whose id never reached the store may still exist: CreateSnapshot by the same name finds them.
    const known: RecoveryPointSnapshot[] = [];
    for (const s of rp.snapshots) {
      if (!rp.snapshotsStarted || s.csiSnapshotId || s.groupSnapshotId || s.csiName.includes('-g')) {
        known.push(s);
        continue;
      }
      try {
        const node = s.nodeId ? store.nodes.get(s.nodeId) : undefined;
        const res = await this.ctx
          .controllerFor(s.plugin, node)
          .controller('CreateSnapshot', { sourceVolumeId: s.sourceCsiVolumeId, name: s.csiName, parameters: {}, secrets: this.secretsFor(s) });
        known.push({ ...s, csiSnapshotId: res.snapshot!.snapshotId });
      } catch {
        // The source volume is gone, so no snapshot of it under this name can be left either.
      }
    }
    const { left, error } = await this.deleteSnapshots(known);
    const message = `interrupted by a server restart; snapshots removed${error ? ` except: ${error}` : ''}`;
    store.recoveryPoints.put(rp.id, { ...rp, hooks, postHooksDone: true, snapshots: left, state: 'failed', message });
    this.ctx.event(`app/${rp.app}`, 'SnapshotFailed', `recovery point ${rp.id}: ${message}`);
  }
}

/**
 * Why taking `rp` must be reported as failed though it is ready: its postSnapshot hook failed with
 * `onFailure: fail`. The snapshots are kept — they were taken after preSnapshot, so they hold what it
 * prepared, and deleting them would not undo what postSnapshot failed to do — and the request that took
 * it (a `snapshot create`, a backup) fails and says so. With `continue` (the default) the failure is
 * only recorded: the run, the record's message and the events.
 */
export function postSnapshotFailure(rp: RecoveryPointRecord): string | undefined {
  if (rp.state !== 'ready' || hookPolicy(rp.spec.hooks, 'postSnapshot').onFailure !== 'fail') return undefined;
  const bad = rp.hooks.find((h) => h.phase === 'postSnapshot' && !h.ok);
  return bad && `${hookFailure(bad)}; onFailure is fail: recovery point ${rp.id} is kept (its snapshots were taken), but this request failed`;
}

/** How a failed delete is recorded (the API call waiting for it answers with the rest). */
const DELETE_FAILED = 'delete failed: ';

const shuttingDown = (): Error => unavailable('the server is shutting down; try again once it is back');
