import { invalidArgument, notFound } from '../sdk/errors';
import { destroySnapshotRecord, readySnapshot } from '../sdk/snapshots';
import { OperationLocks } from '../sdk/locks';
import { Logger } from '../../lib/logging/logger';
import { unmountAll } from '../../lib/mounts/mounts';
import { detachKernel, detachUserspace, kernelInitiatorAvailable } from './attach';
import { DATA_LUN, IscsiDriverOptions } from './driver-config';
import { SNAPSHOT_ID, VOLUME_ID, targetIqn } from './ids';
import { Initiator, initiatorKey } from './options';
import { BackingPool } from './pool';
import { ControllerState, NodeState, SnapshotRecord, StageRecord, VolumeRecord } from './state';
import { Tgt, TgtTarget } from './tgt';

/**
 * What the three services share: pools, durable state (controller and node kept apart, so either half can
 * run alone), tgtd, and the operation locks. `open()` resolves whatever a crash interrupted, then makes
 * tgtd match the state — a restarted tgtd has no targets at all — and keeps doing so on a timer.
 */
export class IscsiDriver {
  readonly locks = new OperationLocks();
  readonly pools = new Map<string, BackingPool>();
  readonly tgt = new Tgt();
  readonly log: Logger;
  readonly nodeInitiators: Map<string, Initiator[]>;
  controllerState?: ControllerState;
  nodeState?: NodeState;
  attachMode: 'kernel' | 'userspace' = 'userspace';
  /** Result of the last reconcile: Probe reports not-ready while tgtd cannot be reached. */
  tgtError: string | undefined = 'not reconciled yet';
  private timer?: NodeJS.Timeout;
  private reconciling = false;

  private constructor(readonly options: IscsiDriverOptions) {
    this.log = options.log;
    this.nodeInitiators = new Map(options.nodeInitiators);
    if (options.mode !== 'controller' && !this.nodeInitiators.has(options.nodeId)) {
      const own: Initiator[] = [{ kind: 'iqn', value: options.initiatorIqn }];
      if (options.initiatorAddress) own.push({ kind: 'address', value: options.initiatorAddress });
      this.nodeInitiators.set(options.nodeId, own);
    }
  }

  static async open(options: IscsiDriverOptions): Promise<IscsiDriver> {
    const driver = new IscsiDriver(options);
    if (options.mode !== 'node') {
      if (options.pools.length === 0) throw new Error('at least one --pool is required for the controller');
      for (const spec of options.pools) {
        if (driver.pools.has(spec.name)) throw new Error(`pool ${spec.name} is given twice`);
        const pool = new BackingPool(spec.name, spec.path);
        await pool.open(options.log);
        driver.pools.set(spec.name, pool);
      }
      driver.controllerState = new ControllerState(options.stateDir);
      await driver.recoverController();
      await driver.reconcileTargets();
      if (options.reconcileIntervalMs > 0) {
        driver.timer = setInterval(() => {
          void driver.reconcileTargets();
        }, options.reconcileIntervalMs);
        driver.timer.unref();
      }
    }
    if (options.mode !== 'controller') {
      driver.attachMode = options.attach === 'auto' ? ((await kernelInitiatorAvailable()) ? 'kernel' : 'userspace') : options.attach;
      driver.log.info(
        { attach: driver.attachMode },
        driver.attachMode === 'kernel'
          ? 'node attaches LUNs with iscsiadm'
          : 'no kernel iSCSI initiator: node attaches LUNs through qemu-nbd + nbdfuse + loop devices',
      );
      driver.nodeState = new NodeState(options.stateDir);
      await driver.recoverNode();
    }
    return driver;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  get nodeId(): string {
    return this.options.nodeId;
  }
  get defaultPool(): BackingPool {
    return [...this.pools.values()][0];
  }
  get cstate(): ControllerState {
    if (!this.controllerState) throw new Error('controller service is not running in this process');
    return this.controllerState;
  }
  get nstate(): NodeState {
    if (!this.nodeState) throw new Error('node service is not running in this process');
    return this.nodeState;
  }
  iqnOf(volumeId: string): string {
    return targetIqn(this.options.iqnPrefix, volumeId);
  }

  pool(name: string): BackingPool {
    const pool = this.pools.get(name);
    if (!pool) throw invalidArgument(`unknown pool ${JSON.stringify(name)} (known: ${[...this.pools.keys()].join(', ')})`);
    return pool;
  }

  /** Looks a volume up; ids of the wrong shape cannot exist, so they are NOT_FOUND without touching anything. */
  volume(id: string): VolumeRecord {
    const v = VOLUME_ID.test(id) ? this.cstate.volumes.get(id) : undefined;
    if (!v || v.status !== 'ready') throw notFound(`volume ${JSON.stringify(id)} not found`);
    return v;
  }

  snapshot(id: string): SnapshotRecord {
    return readySnapshot(this.cstate.snapshots, SNAPSHOT_ID, id);
  }

  availableBytes(pool: BackingPool): number {
    return Math.max(0, pool.totalBytes() - this.cstate.provisionedBytes(pool.name));
  }

  /** A tid neither tgtd nor any record uses. Synchronous after `targets` was read, so two creates never share one. */
  allocateTid(targets: TgtTarget[]): number {
    const used = new Set<number>([...targets.map((t) => t.tid), ...[...this.cstate.volumes.values()].map((v) => v.tid)]);
    let tid = Math.max(1, this.cstate.nextTid);
    while (used.has(tid)) tid++;
    this.cstate.nextTid = tid + 1;
    return tid;
  }

  /** Makes tgtd hold this volume's target, its data LUN and exactly the ACLs its publications call for. */
  async ensureTarget(v: VolumeRecord, targets: TgtTarget[]): Promise<void> {
    const state = this.cstate;
    const iqn = this.iqnOf(v.id);
    let t = targets.find((x) => x.iqn === iqn);
    if (t && t.tid !== v.tid) {
      v.tid = t.tid;
      state.save();
    }
    if (!t) {
      if (targets.some((x) => x.tid === v.tid)) {
        v.tid = this.allocateTid(targets);
        state.save();
      }
      await this.tgt.createTarget(v.tid, iqn);
      t = { tid: v.tid, iqn, luns: [], acls: [], sessions: [] };
      targets.push(t);
      this.log.info({ volumeId: v.id, tid: v.tid, iqn }, 'created target');
    }
    const file = this.pool(v.pool).volumeFile(v.id);
    const lun = t.luns.find((l) => l.lun === DATA_LUN);
    if (lun && lun.backingStore !== file) await this.tgt.deleteLun(v.tid, DATA_LUN);
    if (!lun || lun.backingStore !== file) await this.tgt.addLun(v.tid, DATA_LUN, file);
    await this.syncAcls(v, t.acls);
  }

  /** Binds what the publications need and unbinds everything else: a target admits only published nodes. */
  async syncAcls(v: VolumeRecord, current: string[]): Promise<void> {
    const wanted = new Map<string, Initiator>();
    for (const p of v.publications) for (const i of p.initiators) wanted.set(initiatorKey(i), i);
    const have = new Map<string, Initiator>();
    for (const acl of current) {
      const i: Initiator = acl.startsWith('iqn.') ? { kind: 'iqn', value: acl } : { kind: 'address', value: acl };
      have.set(initiatorKey(i), i);
    }
    for (const [key, i] of wanted) if (!have.has(key)) await this.tgt.bind(v.tid, i);
    for (const [key, i] of have) if (!wanted.has(key)) await this.tgt.unbind(v.tid, i);
  }

  async currentAcls(v: VolumeRecord): Promise<string[]> {
    const t = (await this.tgt.show()).find((x) => x.iqn === this.iqnOf(v.id));
    return t?.acls ?? [];
  }

  /** Removes a volume's target and data, then its record (also the rollback of a failed or interrupted create). */
  async destroyVolume(v: VolumeRecord): Promise<void> {
    const state = this.cstate;
    v.status = 'deleting';
    state.save();
    const t = (await this.tgt.show()).find((x) => x.iqn === this.iqnOf(v.id));
    if (t) await this.tgt.deleteTarget(t.tid);
    const pool = this.pools.get(v.pool);
    if (pool) pool.remove(pool.volumeFile(v.id));
    state.volumes.delete(v.id);
    state.save();
  }

  async destroySnapshot(s: SnapshotRecord): Promise<void> {
    await destroySnapshotRecord(this.cstate, s, () => {
      const pool = this.pools.get(s.pool);
      if (pool) pool.remove(pool.snapshotFile(s.id));
    });
  }

  /**
   * Level-triggered: tgtd is made to match the state. Missing targets, LUNs and ACLs are re-created (tgtd
   * restarted, or the machine rebooted); targets under our IQN prefix that no record knows are deleted
   * (left by a crash between target creation and record removal). Volumes busy with an operation are skipped.
   */
  async reconcileTargets(): Promise<void> {
    if (this.reconciling) return;
    this.reconciling = true;
    try {
      const state = this.cstate;
      const targets = await this.tgt.show();
      const known = new Set([...state.volumes.keys()].map((id) => this.iqnOf(id)));
      const ours = `${this.options.iqnPrefix}:vol-`;
      for (const t of targets) {
        if (t.iqn.startsWith(ours) && !known.has(t.iqn) && !this.locks.isHeld(t.iqn.slice(this.options.iqnPrefix.length + 1))) {
          this.log.warn({ tid: t.tid, iqn: t.iqn }, 'deleting a target no volume record knows');
          await this.tgt.deleteTarget(t.tid);
        }
      }
      for (const v of [...state.volumes.values()]) {
        if (v.status !== 'ready' || this.locks.isHeld(v.id)) continue;
        try {
          await this.locks.withLocks([v.id], 'reconcile', () => this.ensureTarget(v, targets));
        } catch (error) {
          this.log.error({ volumeId: v.id, err: error }, 'could not restore target');
        }
      }
      if (this.tgtError !== undefined) this.log.info({ volumes: state.volumes.size }, 'tgtd matches the volume records');
      this.tgtError = undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.tgtError !== message) this.log.error({ err: error }, 'tgtd unreachable; will retry');
      this.tgtError = message;
    } finally {
      this.reconciling = false;
    }
  }

  /** Records still `creating` never answered success (the CO retries), so they are undone; `deleting` is finished. */
  private async recoverController(): Promise<void> {
    const state = this.cstate;
    for (const v of [...state.volumes.values()]) {
      if (v.status === 'ready') continue;
      this.log.warn({ volumeId: v.id, name: v.name, status: v.status }, 'resolving volume left by an interrupted operation');
      await this.destroyVolume(v);
    }
    for (const s of [...state.snapshots.values()]) {
      if (s.status === 'ready') continue;
      this.log.warn({ snapshotId: s.id, name: s.name, status: s.status }, 'resolving snapshot left by an interrupted operation');
      await this.destroySnapshot(s);
    }
  }

  /** A stage interrupted mid-attach is rolled back; the CO retries NodeStage and gets a clean attach. */
  private async recoverNode(): Promise<void> {
    const state = this.nstate;
    for (const s of [...state.stages.values()]) {
      if (s.status === 'staged') continue;
      this.log.warn({ volumeId: s.volumeId }, 'rolling back a NodeStage interrupted by a crash');
      await this.teardownStage(s);
      state.stages.delete(s.volumeId);
    }
    state.save();
  }

  /** Undoes a stage as far as it got: unmount, loop device, attachment. Tolerates pieces already gone. */
  async teardownStage(s: StageRecord): Promise<void> {
    if (s.accessType === 'mount') await unmountAll(s.stagingPath);
    if (s.attachment.kind === 'userspace') await detachUserspace(s.attachment, s.device);
    else await detachKernel(s.target);
  }
}
