import { internal, notFound, unimplemented } from '../sdk/errors';
import { destroySnapshotRecord, readySnapshot } from '../sdk/snapshots';
import { OperationLocks } from '../sdk/locks';
import { Logger } from '../../lib/logging/logger';
import { NfsDriverOptions } from './driver-config';
import { ExportRoot } from './export-root';
import { Ganesha, ReloadResult } from './ganesha';
import { ExportSpec, renderConfig } from './ganesha-config';
import { SNAPSHOT_ID, VOLUME_ID } from './ids';
import { NfsState, SnapshotRecord, VolumeRecord } from './state';

/** The controller half: present when the plugin runs with an export root and a ganesha to configure. */
export interface ControllerParts {
  root: ExportRoot;
  ganesha: Ganesha;
}

/**
 * What the controller and node services share: durable state, operation locks and, on the server host,
 * the export root and ganesha. The ganesha config is a pure function of the state (every ready volume's
 * export, with the addresses of the nodes it is published to), so any change is: update the state,
 * then `syncExports()`; and a restart simply re-renders it.
 */
export class NfsDriver {
  readonly locks = new OperationLocks();
  readonly state: NfsState;
  readonly log: Logger;
  private parts?: ControllerParts;

  private constructor(readonly options: NfsDriverOptions) {
    this.log = options.log;
    this.state = new NfsState(options.stateDir);
  }

  static async open(options: NfsDriverOptions): Promise<NfsDriver> {
    const driver = new NfsDriver(options);
    if (options.exportRoot !== undefined) {
      if (!options.ganesha) throw new Error('an export root needs the ganesha config and pidfile (--ganesha-config, --ganesha-pidfile)');
      driver.parts = { root: await ExportRoot.open(options.exportRoot), ganesha: new Ganesha(options.ganesha, options.log) };
      if (!driver.parts.root.enforcesCapacity) {
        options.log.warn({ exportRoot: options.exportRoot }, 'export root is not btrfs: volume sizes are accounted but NOT enforced');
      }
      await driver.recover();
    }
    return driver;
  }

  get nodeId(): string {
    return this.options.nodeId;
  }
  get hasController(): boolean {
    return this.parts !== undefined;
  }

  get controller(): ControllerParts {
    if (!this.parts) throw unimplemented('this plugin instance runs without --export-root: node service only');
    return this.parts;
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

  availableBytes(): number {
    return Math.max(0, this.controller.root.totalBytes() - this.state.provisionedBytes());
  }

  exportSpecs(): ExportSpec[] {
    const { root } = this.controller;
    return [...this.state.volumes.values()]
      .filter((v) => v.status === 'ready')
      .map((v) => ({
        exportId: v.exportId,
        path: root.exportPath(v.id),
        squash: v.squash,
        clients: v.publications.map((p) => ({ address: p.address, readOnly: p.readOnly })),
      }));
  }

  /** Rewrites ganesha's config from the state and reloads it. */
  async syncExports(): Promise<ReloadResult> {
    const { ganesha } = this.controller;
    const o = ganesha.options;
    const config = renderConfig({ bindAddress: o.bindAddress, nfsPort: o.nfsPort, mountPort: o.mountPort, recoveryRoot: o.recoveryRoot }, this.exportSpecs());
    return ganesha.apply(config);
  }

  /** Syncs and fails with INTERNAL when ganesha reported that this volume's export could not be created. */
  async syncExportsFor(v: VolumeRecord): Promise<void> {
    const result = await this.syncExports();
    const path = this.controller.root.exportPath(v.id);
    if (result.failedPaths.includes(path)) throw internal(`ganesha could not create the export of volume ${v.id} (${path}); see its log`);
  }

  /** Removes a volume's export, data and record (also used to roll back a failed or interrupted create). */
  async destroyVolume(v: VolumeRecord): Promise<void> {
    v.status = 'deleting';
    this.state.save();
    await this.syncExports(); // the export goes first: nobody writes into data being deleted
    await this.controller.root.deleteVolume(v.id);
    this.state.volumes.delete(v.id);
    this.state.save();
  }

  async destroySnapshot(s: SnapshotRecord): Promise<void> {
    await destroySnapshotRecord(this.state, s, () => this.controller.root.deleteSnapshot(s.id));
  }

  /**
   * A record still `creating` never answered success: its CO will retry, so the half-made volume is
   * removed. A record `deleting` is finished. Ready volumes get their export bind mount back (mounts do
   * not survive a reboot) and the ganesha config is rendered again from the state.
   */
  private async recover(): Promise<void> {
    const { root } = this.controller;
    for (const v of [...this.state.volumes.values()]) {
      if (v.status === 'ready') continue;
      this.log.warn({ volumeId: v.id, name: v.name, status: v.status }, 'resolving volume left by an interrupted operation');
      v.status = 'deleting';
      await root.deleteVolume(v.id);
      this.state.volumes.delete(v.id);
      this.state.save();
    }
    for (const s of [...this.state.snapshots.values()]) {
      if (s.status === 'ready') continue;
      this.log.warn({ snapshotId: s.id, name: s.name, status: s.status }, 'resolving snapshot left by an interrupted operation');
      await this.destroySnapshot(s);
    }
    for (const v of this.state.volumes.values()) await root.mountExport(v.id);
    await this.syncExports();
  }
}
