import type { TaskAssignment } from '../proto/berth/generated/berth/agent/v1/TaskAssignment';
import type { VolumeAttachment } from '../proto/berth/generated/berth/agent/v1/VolumeAttachment';
import type { ClusterContext } from './cluster-context';
import { awaitingData } from './controllers/data-restore';
import { claimIdOf, csiAccessMode } from './naming';
import { secretData } from './secrets';

/** The desired tasks of one node: every task assigned (or running) there, with its volumes resolved. */
export function buildAssignments(ctx: ClusterContext, nodeId: string): TaskAssignment[] {
  const { store } = ctx;
  const out: TaskAssignment[] = [];
  for (const task of store.tasks.list()) {
    if (task.nodeId !== nodeId || !['assigned', 'running', 'failed'].includes(task.state)) continue;
    const app = store.apps.get(task.app);
    if (!app) continue;
    // A scale changes only the instance count, so the app's current spec serves tasks from before this field existed.
    const spec = task.spec ?? app.spec;
    const volumes: VolumeAttachment[] = [];
    let ready = true;
    for (const tpl of spec.volumes) {
      const claim = store.claims.get(claimIdOf(app.name, tpl.name, task.instance));
      const volume = claim?.volumeId ? store.volumes.get(claim.volumeId) : undefined;
      // Never hand out a task with a volume missing: it would write into its container instead.
      if (!claim || !volume?.csiVolumeId || volume.state !== 'ready') { ready = false; break; }
      // A volume restored from a backup is empty until the data mover has written and verified it:
      // the instance must not start on (and write into) a partial tree.
      if (awaitingData(claim)) { ready = false; break; }
      const sc = store.storageClasses.get(claim.storageClass)?.spec;
      volumes.push({
        name: tpl.name, plugin: volume.plugin, volumeId: volume.csiVolumeId, mountPath: tpl.mountPath,
        readOnly: tpl.readOnly || claim.accessMode === 'single-node-reader-only', block: claim.volumeMode === 'block',
        fsType: sc?.fsType ?? '', accessMode: csiAccessMode(claim.accessMode), volumeContext: volume.volumeContext,
        publishContext: volume.published?.[nodeId] ?? {}, stageSecrets: secretData(store, sc?.stageSecret), publishSecrets: secretData(store, sc?.publishSecret),
        mountFlags: [...(sc?.mountOptions ?? [])],
      });
    }
    if (!ready) continue;
    out.push({
      taskId: task.id, app: app.name, instance: task.instance, generation: String(task.generation), runtime: spec.runtime,
      image: spec.image ?? '', command: [...spec.command], env: { ...spec.env, BERTH_APP: app.name, BERTH_INSTANCE: String(task.instance) },
      cpu: spec.resources.cpuMillis / 1000, memoryBytes: String(spec.resources.memoryBytes), volumes,
    });
  }
  return out;
}
