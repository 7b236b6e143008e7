import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { VolumeAttachment__Output } from '../proto/berth/generated/berth/agent/v1/VolumeAttachment';
import { CsiClient } from '../volumes/csi-client/client';
import { PluginProfile, discoverCapabilities } from '../volumes/csi-client/capabilities';
import { stageAndPublish, volumeCapability } from './node-calls';
import { TaskQueue } from './executors/task-queue';

/** Where a volume ends up on the host for the task to use. */
export interface AttachedVolume {
  name: string;
  hostPath: string;
  mountPath: string;
  readOnly: boolean;
  block: boolean;
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Volume ids come from plugins, in any vendor's format: they become one path component that is readable
 * (unsafe characters replaced) and unique (a hash of the exact id, so "a/b" and "a_b" never share a dir).
 */
export function pathComponentFor(volumeId: string): string {
  const readable = volumeId
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 64);
  return `${readable || 'vol'}-${createHash('sha256').update(volumeId).digest('hex').slice(0, 12)}`;
}

/**
 * Attaches tasks' volumes: stage (when the plugin stages) and publish to a per-task target
 * (agent/node-calls.ts); the reverse on detach, unstaging only for the volume's last user on the node.
 */
export class VolumeAttacher {
  private readonly profiles = new Map<string, PluginProfile>();
  /** One node call sequence per volume at a time: tasks sharing a volume start side by side, and a plugin answers a concurrent call on one volume with ABORTED. */
  private readonly perVolume = new TaskQueue();

  constructor(
    private readonly stateDir: string,
    private readonly clientFor: (plugin: string) => CsiClient,
  ) {}

  private async profile(plugin: string): Promise<PluginProfile> {
    let p = this.profiles.get(plugin);
    if (!p) {
      p = await discoverCapabilities(this.clientFor(plugin), { controller: false, node: true });
      this.profiles.set(plugin, p);
    }
    return p;
  }

  private paths(taskId: string, v: Pick<VolumeAttachment__Output, 'name' | 'plugin' | 'volumeId'>): { staging: string; target: string } {
    if (!SAFE.test(taskId) || !SAFE.test(v.name) || !SAFE.test(v.plugin)) {
      throw new Error(
        `unsafe id in volume attachment (task ${JSON.stringify(taskId)}, volume name ${JSON.stringify(v.name)}, plugin ${JSON.stringify(v.plugin)})`,
      );
    }
    return {
      staging: join(this.stateDir, 'staging', v.plugin, pathComponentFor(v.volumeId)),
      target: join(this.stateDir, 'publish', taskId, v.name),
    };
  }

  async attach(taskId: string, v: VolumeAttachment__Output): Promise<AttachedVolume> {
    const client = this.clientFor(v.plugin);
    const profile = await this.profile(v.plugin);
    const { staging, target } = this.paths(taskId, v);
    await this.perVolume.run(`${v.plugin}/${v.volumeId}`, () =>
      stageAndPublish(client, {
        volumeId: v.volumeId,
        capability: volumeCapability(v),
        readOnly: v.readOnly,
        volumeContext: v.volumeContext,
        publishContext: v.publishContext,
        stageSecrets: v.stageSecrets,
        publishSecrets: v.publishSecrets,
        staging: profile.node.has('STAGE_UNSTAGE_VOLUME') ? staging : undefined,
        target,
      }),
    );
    return { name: v.name, hostPath: target, mountPath: v.mountPath, readOnly: v.readOnly, block: v.block };
  }

  /**
   * The publish target of a volume not attached yet, made as an empty directory so a container can be
   * created with it as a bind mount before the volume exists (a prepared task). NodePublishVolume mounts
   * over it later; CSI leaves creating the target to the plugin, and plugins accept one that exists.
   */
  prepareTarget(taskId: string, v: { name: string; plugin: string }): string {
    const { target } = this.paths(taskId, { ...v, volumeId: '' });
    mkdirSync(target, { recursive: true, mode: 0o700 });
    return target;
  }

  /**
   * Lets group `gid` reach the task's publish targets (a process task running as another user finds
   * its volumes at their host paths): the state and publish directories become traverse-only for
   * everyone (0711: nothing in them can be listed, and what lies in them keeps its own mode), the
   * task's own directory traverse-only for its group (0710). Other tasks' directories stay 0700.
   */
  openPublishPath(taskId: string, gid: number): void {
    if (!SAFE.test(taskId)) throw new Error(`unsafe task id ${JSON.stringify(taskId)}`);
    const publish = join(this.stateDir, 'publish');
    const own = join(publish, taskId);
    for (const dir of [this.stateDir, publish]) chmodSync(dir, (statSync(dir).mode & 0o7777) | 0o111);
    chownSync(own, 0, gid);
    chmodSync(own, 0o710);
  }

  /** Removes the task's publish directory once all its volumes are detached. */
  forgetTask(taskId: string): void {
    if (!SAFE.test(taskId)) return;
    const dir = join(this.stateDir, 'publish', taskId);
    if (!existsSync(dir)) return;
    // Left: empty targets made for a prepared task that never got its volumes. rmdir removes only
    // empty directories — never data, never a mount point (EBUSY) or a block target file (ENOTDIR).
    for (const name of readdirSync(dir)) {
      try {
        rmdirSync(join(dir, name));
      } catch {
        /* in use or not empty: kept */
      }
    }
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  }

  /** Unpublishes the task's target; unstages only when `lastUser` (no other task on this node uses the volume). */
  async detach(taskId: string, v: VolumeAttachment__Output, lastUser: boolean): Promise<void> {
    const client = this.clientFor(v.plugin);
    const profile = await this.profile(v.plugin);
    const { staging, target } = this.paths(taskId, v);
    await this.perVolume.run(`${v.plugin}/${v.volumeId}`, async () => {
      await client.node('NodeUnpublishVolume', { volumeId: v.volumeId, targetPath: target });
      if (lastUser && profile.node.has('STAGE_UNSTAGE_VOLUME')) {
        await client.node('NodeUnstageVolume', { volumeId: v.volumeId, stagingTargetPath: staging });
      }
    });
  }
}
