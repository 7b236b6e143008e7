import type { ClusterContext } from '../cluster-context';
import { isRetained } from '../controllers/apps';
import { checkTransition } from '../controllers/volume-lifecycle';
import { conflict, notFound } from '../../lib/errors';

/**
 * `berth delete claim` and `berth delete volume`: the user lets go of storage nothing uses any more —
 * a claim kept after a scale-down, a volume kept by reclaim policy Retain. Each writes the intent and
 * answers; the reclaim controller and the released-volume controller do the CSI work (cleanup.ts), so
 * a crash in between is finished by the same path. Anything in use is refused with the reason.
 */
export function releaseClaim(ctx: ClusterContext, id: string): string {
  const { store } = ctx;
  return store.transaction(() => {
    const claim = store.claims.get(id);
    if (!claim) throw notFound(`claim ${id} not found`);
    if (claim.state === 'releasing') return `claim ${id} is already being released`;
    const app = store.apps.get(claim.app);
    if (!isRetained(claim)) {
      const user = app && claim.instance < app.spec.instances ? `instance ${claim.instance} of app ${claim.app} uses it` : `it is ${claim.state}`;
      throw conflict(`claim ${id} is not retained: ${user}; only a claim kept after a scale-down can be deleted (scale the app down, or delete the app)`);
    }
    // Retained by an app that wants the instance back already (scaled up again, not yet bound): in use.
    if (app && !app.deleting && claim.instance < app.spec.instances)
      throw conflict(`claim ${id} is wanted again: app ${claim.app} has ${app.spec.instances} instance(s)`);
    const task = store.tasks.where('app', claim.app).find((t) => t.instance === claim.instance);
    if (task) throw conflict(`claim ${id} is still used by task ${task.id} (${task.state}); wait until it has stopped`);
    checkTransition(ctx.log, 'claim', id, 'retained', 'releasing');
    const { retained: _legacy, ...rest } = claim;
    store.claims.put(id, { ...rest, state: 'releasing' });
    const policy = store.storageClasses.get(claim.storageClass)?.spec.reclaimPolicy ?? 'Retain';
    ctx.event(
      `claim/${id}`,
      'Releasing',
      `claim ${id} let go by the user: volume ${claim.volumeId ?? '(none)'} is ${policy === 'Delete' ? 'deleted' : 'kept as released'} (reclaim policy ${policy})`,
    );
    return `claim ${id} is being released (reclaim policy ${policy}: its volume is ${policy === 'Delete' ? 'deleted' : 'kept as a released volume'})`;
  });
}

export function deleteReleasedVolume(ctx: ClusterContext, id: string): string {
  const { store } = ctx;
  return store.transaction(() => {
    const volume = store.volumes.get(id);
    if (!volume) throw notFound(`volume ${id} not found`);
    if (volume.state === 'deleting') return `volume ${id} is already being deleted`;
    if (volume.state !== 'released' || volume.claimId) {
      throw conflict(
        `volume ${id} is ${volume.state}${volume.claimId ? ` and bound to claim ${volume.claimId}` : ''}; only a released volume (kept by reclaim policy Retain) can be deleted`,
      );
    }
    checkTransition(ctx.log, 'volume', id, 'released', 'deleting');
    store.volumes.put(id, { ...volume, state: 'deleting' });
    ctx.event(`volume/${id}`, 'Deleting', `released volume ${id} let go by the user: DeleteVolume through ${volume.plugin}`);
    return `volume ${id} is being deleted`;
  });
}
