import { run } from '../../lib/exec/run';
import { invalidArgument, notFound } from '../sdk/errors';
import { destroySnapshotRecord, readySnapshot } from '../sdk/snapshots';
import { OperationLocks } from '../sdk/locks';
import { Logger } from '../../lib/logging/logger';
import { LocalDriverOptions, TOPOLOGY_NODE_KEY } from './driver-config';
import { SNAPSHOT_ID, VOLUME_ID } from './ids';
import { Pool } from './pool';
import { openPool } from './pool-open';
import { PluginState, SnapshotRecord, VolumeRecord } from './state';

/**
 * What the controller and node services share: the pools, the durable state and the operation locks.
 * `open()` also finishes or undoes whatever a crash interrupted (records still marked creating/deleting).
 */
export class LocalDriver {
  readonly pools = new Map<string, Pool>();
  readonly locks = new OperationLocks();
  readonly state: PluginState;
  readonly log: Logger;

  private constructor(readonly options: LocalDriverOptions) {
    this.log = options.log;
    this.state = new PluginState(options.stateDir);
  }

  static async open(options: LocalDriverOptions): Promise<LocalDriver> {
    if (options.pools.length === 0) throw new Error('at least one --pool is required');
    const driver = new LocalDriver(options);
    for (const spec of options.pools) {
      if (driver.pools.has(spec.name)) throw new Error(`pool ${spec.name} is given twice`);
      driver.pools.set(spec.name, await openPool(spec, options.stateDir, options.log));
    }
    await driver.recover();
    return driver;
  }

  get nodeId(): string {
    return this.options.nodeId;
  }
  get defaultPool(): Pool {
    return [...this.pools.values()][0];
  }
  topology(): { segments: Record<string, string> } {
    return { segments: { [TOPOLOGY_NODE_KEY]: this.nodeId } };
  }

  pool(name: string): Pool {
    const pool = this.pools.get(name);
    if (!pool) throw invalidArgument(`unknown pool ${JSON.stringify(name)} (this node has: ${[...this.pools.keys()].join(', ')})`);
    return pool;
  }

  /** Looks a volume up; ids of the wrong shape cannot exist, so they are NOT_FOUND without touching a path. */
  volume(id: string): VolumeRecord {
    const v = VOLUME_ID.test(id) ? this.state.volumes.get(id) : undefined;
    if (!v || v.status !== 'ready') throw notFound(`volume ${JSON.stringify(id)} not found`);
    return v;
  }

  snapshot(id: string): SnapshotRecord {
    return readySnapshot(this.state.snapshots, SNAPSHOT_ID, id);
  }

  /** Bytes still free for new volumes in a pool: its size minus what volumes were promised. */
  availableBytes(pool: Pool): number {
    return Math.max(0, pool.totalBytes() - this.state.provisionedBytes(pool.name));
  }

  /** Removes a volume's data and its record (also used to roll back a failed or interrupted create). */
  async destroyVolume(v: VolumeRecord): Promise<void> {
    v.status = 'deleting';
    this.state.save();
    const pool = this.pools.get(v.pool);
    if (pool) await pool.deleteVolume(v.id);
    this.state.volumes.delete(v.id);
    this.state.save();
  }

  async destroySnapshot(s: SnapshotRecord): Promise<void> {
    await destroySnapshotRecord(this.state, s, async () => {
      const pool = this.pools.get(s.pool);
      if (pool) await pool.deleteSnapshot(s.id);
    });
  }

  /**
   * A record still `creating` means CreateVolume/CreateSnapshot never answered success: its CO will
   * retry, so the half-made subvolume is removed. A record `deleting` is finished. Stage records whose
   * loop device vanished (node reboot) are dropped so the next NodeStage attaches again.
   */
  private async recover(): Promise<void> {
    for (const v of [...this.state.volumes.values()]) {
      if (v.status === 'ready') continue;
      this.log.warn({ volumeId: v.id, name: v.name, status: v.status }, 'resolving volume left by an interrupted operation');
      await this.destroyVolume(v);
    }
    for (const s of [...this.state.snapshots.values()]) {
      if (s.status === 'ready') continue;
      this.log.warn({ snapshotId: s.id, name: s.name, status: s.status }, 'resolving snapshot left by an interrupted operation');
      await this.destroySnapshot(s);
    }
    for (const stage of [...this.state.stages.values()]) {
      if (!stage.loopDevice) continue;
      const v = this.state.volumes.get(stage.volumeId);
      const attached = v ? await run('losetup', ['-j', this.pool(v.pool).blockImagePath(v.id)]) : '';
      if (!attached.startsWith(`${stage.loopDevice}:`)) {
        this.log.warn({ volumeId: stage.volumeId, loop: stage.loopDevice }, 'staged loop device is gone; forgetting the stage');
        this.state.stages.delete(stage.volumeId);
      }
    }
    this.state.save();
  }
}
