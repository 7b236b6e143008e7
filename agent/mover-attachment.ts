import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/files/atomic-file';
import { stageAndPublish, volumeCapability } from './node-calls';
import type { Volume__Output, VolumeCapability } from '../proto/csi/types';
import type { CreateVolumeRequest } from '../proto/csi/generated/csi/v1/CreateVolumeRequest';
import type { CsiClient } from '../volumes/csi-client/client';
import { discoverCapabilities } from '../volumes/csi-client/capabilities';
import { CsiCallError } from '../volumes/csi-client/errors';
import { status } from '@grpc/grpc-js';

/**
 * A volume attached to this node only for the data mover: staged (when the plugin stages) and
 * published under `<state dir>/mover/<key>/`, read or written, then detached — and, for a temporary
 * volume made from a snapshot, deleted. An intent file is written before anything is created, so an
 * agent that died half-way cleans up at its next start (`cleanUpMoverLeftovers`).
 */
export interface MoverVolume {
  plugin: string;
  volumeId: string;
  block: boolean;
  fsType: string;
  accessMode: string;
  readOnly: boolean;
  volumeContext: Record<string, string>;
  publishContext: Record<string, string>;
  stageSecrets: Record<string, string>;
  publishSecrets: Record<string, string>;
  mountFlags: string[];
}

interface Intent {
  plugin: string;
  /** CreateVolume name of a temporary volume this attachment owns (deleted on detach). */
  temporaryName?: string;
  /**
   * Its CreateVolume request without the secrets (they are never written to disk), recorded before the
   * call: a call that failed after the plugin made the volume (a deadline) left no id, and repeating the
   * request by name is how to learn it.
   */
  createRequest?: CreateVolumeRequest;
  volumeId?: string;
  /** CSI node id the temporary volume was ControllerPublished to (plugins with PUBLISH_UNPUBLISH_VOLUME). */
  publishedTo?: string;
  staging?: string;
  target?: string;
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function moverDir(stateDir: string, key: string): string {
  if (!SAFE.test(key)) throw new Error(`unsafe mover key ${JSON.stringify(key)}`);
  return join(stateDir, 'mover', key);
}

export class MoverAttachment {
  private intent: Intent;
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly client: CsiClient,
    plugin: string,
    temporaryName?: string,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = join(dir, 'intent.json');
    this.intent = { plugin, temporaryName };
    this.save();
  }

  private save(): void {
    writeFileAtomic(this.file, JSON.stringify(this.intent));
  }

  /** Creates the temporary volume, its request recorded first (see Intent.createRequest). */
  async create(request: CreateVolumeRequest): Promise<Volume__Output> {
    const { secrets: _secrets, ...kept } = request;
    this.intent = { ...this.intent, createRequest: kept };
    this.save();
    const created = (await this.client.controller('CreateVolume', request)).volume!;
    this.owns(created.volumeId);
    return created;
  }

  /** Records the temporary volume's id as soon as CreateVolume answered. */
  private owns(volumeId: string): void {
    this.intent = { ...this.intent, volumeId };
    this.save();
  }

  /**
   * ControllerPublishVolume of the temporary volume to this node, for plugins that attach at the
   * controller (iSCSI ACLs, cloud disks): recorded first, so a crash still unpublishes it. Answers the
   * publish context NodeStage needs.
   */
  async controllerPublish(request: {
    volumeId: string;
    nodeId: string;
    capability: VolumeCapability;
    secrets: Record<string, string>;
    volumeContext: Record<string, string>;
  }): Promise<Record<string, string>> {
    this.intent = { ...this.intent, publishedTo: request.nodeId };
    this.save();
    const res = await this.client.controller('ControllerPublishVolume', {
      volumeId: request.volumeId,
      nodeId: request.nodeId,
      volumeCapability: request.capability,
      readonly: false, // see the staging note in backupVolume
      secrets: request.secrets,
      volumeContext: request.volumeContext,
    });
    return res.publishContext;
  }

  /** Stages and publishes `v`; answers the published path (a directory, or a device file for block). */
  async attach(v: MoverVolume): Promise<string> {
    const staged = (await discoverCapabilities(this.client, { controller: false, node: true })).node.has('STAGE_UNSTAGE_VOLUME');
    const staging = join(this.dir, 'staging');
    const target = join(this.dir, 'target');
    this.intent = { ...this.intent, volumeId: v.volumeId, staging: staged ? staging : undefined, target };
    this.save();
    await stageAndPublish(this.client, {
      volumeId: v.volumeId,
      capability: volumeCapability(v),
      readOnly: v.readOnly,
      volumeContext: v.volumeContext,
      publishContext: v.publishContext,
      stageSecrets: v.stageSecrets,
      publishSecrets: v.publishSecrets,
      staging: staged ? staging : undefined,
      target,
    });
    return target;
  }

  /** Unpublishes, unstages, deletes the temporary volume (if any), removes the directory. Safe to repeat. */
  async detach(controllerSecrets: Record<string, string> = {}): Promise<void> {
    await undo(this.client, this.intent, controllerSecrets, (volumeId) => this.owns(volumeId));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** NOT_FOUND while undoing means that step never happened or is already undone. */
async function done(step: Promise<unknown>): Promise<void> {
  try {
    await step;
  } catch (error) {
    if (!(error instanceof CsiCallError && error.status === status.NOT_FOUND)) throw error;
  }
}

async function undo(client: CsiClient, recorded: Intent, controllerSecrets: Record<string, string>, remember: (volumeId: string) => void): Promise<void> {
  let volumeId = recorded.volumeId;
  if (!volumeId) {
    volumeId = await createdByName(client, recorded, controllerSecrets);
    // Written down before anything else: if the delete fails, the next try need not ask again.
    if (volumeId) remember(volumeId);
  }
  const intent = { ...recorded, volumeId };
  if (intent.volumeId && intent.target) await done(client.node('NodeUnpublishVolume', { volumeId: intent.volumeId, targetPath: intent.target }));
  if (intent.volumeId && intent.staging) await done(client.node('NodeUnstageVolume', { volumeId: intent.volumeId, stagingTargetPath: intent.staging }));
  if (intent.volumeId && intent.publishedTo)
    await done(client.controller('ControllerUnpublishVolume', { volumeId: intent.volumeId, nodeId: intent.publishedTo }));
  if (intent.temporaryName && intent.volumeId) await done(client.controller('DeleteVolume', { volumeId: intent.volumeId, secrets: controllerSecrets }));
}

/**
 * The id of a temporary volume whose CreateVolume never answered: the same request by name returns it
 * (or makes it, to be deleted right after). A refusal that is not transient (its snapshot is gone, bad
 * arguments) means there is nothing to find.
 */
async function createdByName(client: CsiClient, intent: Intent, controllerSecrets: Record<string, string>): Promise<string | undefined> {
  if (!intent.temporaryName || !intent.createRequest) return undefined;
  try {
    return (await client.controller('CreateVolume', { ...intent.createRequest, secrets: controllerSecrets })).volume?.volumeId;
  } catch (error) {
    if (error instanceof CsiCallError && !error.retryable) return undefined;
    throw error;
  }
}

/** The mover directories present now: at agent start, what a killed agent left behind. */
export function moverLeftoverKeys(stateDir: string): string[] {
  const root = join(stateDir, 'mover');
  return existsSync(root) ? readdirSync(root) : [];
}

/**
 * At agent start: the attachments a killed agent left under `keys` are detached and their temporary
 * volumes deleted. Returns the keys it could not clean up yet (the plugin may not be registered yet).
 */
export async function cleanUpMoverLeftovers(
  stateDir: string,
  keys: readonly string[],
  clientFor: (plugin: string) => CsiClient | undefined,
): Promise<string[]> {
  const root = join(stateDir, 'mover');
  const left: string[] = [];
  for (const key of keys) {
    const dir = join(root, key);
    try {
      const intent = JSON.parse(readFileSync(join(dir, 'intent.json'), 'utf8')) as Intent;
      const client = clientFor(intent.plugin);
      if (!client) {
        left.push(key);
        continue;
      }
      await undo(client, intent, {}, (volumeId) => writeFileAtomic(join(dir, 'intent.json'), JSON.stringify({ ...intent, volumeId })));
      rmSync(dir, { recursive: true, force: true });
    } catch {
      if (!existsSync(join(dir, 'intent.json')))
        rmSync(dir, { recursive: true, force: true }); // nothing was created
      else left.push(key);
    }
  }
  return left;
}
