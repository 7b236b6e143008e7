import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AccessMode, VolumeCapability } from '../proto/csi/types';
import type { CsiClient } from '../volumes/csi-client/client';

/** The capability a node call names: a raw block device, or a filesystem with its type and mount flags. */
export function volumeCapability(v: { block: boolean; fsType: string; mountFlags: string[]; accessMode: string }): VolumeCapability {
  const accessMode = { mode: (v.accessMode || 'SINGLE_NODE_WRITER') as AccessMode };
  return v.block ? { block: {}, accessMode } : { mount: { fsType: v.fsType, mountFlags: v.mountFlags }, accessMode };
}

export interface NodeAttach {
  volumeId: string;
  capability: VolumeCapability;
  readOnly: boolean;
  volumeContext: Record<string, string>;
  publishContext: Record<string, string>;
  stageSecrets: Record<string, string>;
  publishSecrets: Record<string, string>;
  /** Where to stage; undefined when the plugin has no STAGE_UNSTAGE_VOLUME. */
  staging: string | undefined;
  target: string;
}

/**
 * The node half of the CSI call sequence a CO makes: NodeStageVolume (only for plugins that stage)
 * then NodePublishVolume. Both calls are idempotent on the plugin side, so repeating them is safe.
 * Used for tasks' volumes and for the data mover's temporary attachments alike.
 */
export async function stageAndPublish(client: CsiClient, a: NodeAttach): Promise<void> {
  if (a.staging) {
    mkdirSync(a.staging, { recursive: true, mode: 0o700 });
    await client.node('NodeStageVolume', {
      volumeId: a.volumeId,
      stagingTargetPath: a.staging,
      volumeCapability: a.capability,
      publishContext: a.publishContext,
      volumeContext: a.volumeContext,
      secrets: a.stageSecrets,
    });
  }
  mkdirSync(dirname(a.target), { recursive: true, mode: 0o700 });
  await client.node('NodePublishVolume', {
    volumeId: a.volumeId,
    stagingTargetPath: a.staging ?? '',
    targetPath: a.target,
    volumeCapability: a.capability,
    readonly: a.readOnly,
    publishContext: a.publishContext,
    volumeContext: a.volumeContext,
    secrets: a.publishSecrets,
  });
}
