import { dnsLabelProblem } from '../../core/manifests';
import type { ClusterContext } from '../cluster-context';
import { conflict, invalidArgument, notFound } from '../../lib/errors';
import { claimIdOf } from '../store/naming';
import type { ClaimRecord } from '../store/records';
import { checkTransition } from '../controllers/volume-lifecycle';

export interface SnapshotRestoreResult {
  app: string;
  recoveryPoint: string;
  claims: { id: string; snapshotId: string }[];
  storageClassesCreated: string[];
}

/**
 * Restore from a recovery point in the same cluster, without copying data: the app is created with its
 * recorded spec and its claims are written first, each with `dataSource: snapshot` pointing at the
 * snapshot of the same (volume, instance), so provisioning creates every volume from its snapshot
 * (instance i gets claim i's data). Missing storage classes are re-created from the recorded ones.
 * Everything is one store transaction: on any refusal nothing is written.
 */
export function restoreFromSnapshot(ctx: ClusterContext, recoveryPointId: string, as?: string): SnapshotRestoreResult {
  const { store } = ctx;
  const rp = store.recoveryPoints.get(recoveryPointId);
  if (!rp) throw notFound(`recovery point ${recoveryPointId} not found`);
  if (rp.state !== 'ready')
    throw conflict(`recovery point ${recoveryPointId} is ${rp.state}${rp.message ? ` (${rp.message})` : ''}; only a ready one can be restored`);
  const name = as ?? rp.app;
  const problem = dnsLabelProblem(name);
  if (problem) throw invalidArgument(`invalid app name: ${problem}`);
  const claims: ClaimRecord[] = [];
  for (let i = 0; i < rp.spec.instances; i++) {
    for (const tpl of rp.spec.volumes) {
      const snap = rp.snapshots.find((s) => s.template === tpl.name && s.instance === i);
      if (!snap?.csiSnapshotId) throw conflict(`recovery point ${recoveryPointId} has no snapshot for volume ${tpl.name} of instance ${i}`);
      const recorded = rp.claims.find((c) => c.id === snap.claimId);
      claims.push({
        id: claimIdOf(name, tpl.name, i),
        app: name,
        template: tpl.name,
        instance: i,
        storageClass: recorded?.storageClass ?? tpl.claim.storageClass,
        sizeBytes: Math.max(recorded?.sizeBytes ?? tpl.claim.sizeBytes, snap.sizeBytes),
        accessMode: recorded?.accessMode ?? tpl.claim.accessMode,
        volumeMode: recorded?.volumeMode ?? tpl.claim.volumeMode,
        dataSource: { kind: 'snapshot', id: snap.csiSnapshotId },
        state: 'pending',
      });
    }
  }
  return store.transaction(() => {
    if (store.apps.get(name)) {
      throw conflict(`app ${name} already exists; restore under another name with --as NEWNAME, or delete app ${name} first`);
    }
    const leftover = store.claims.list().find((c) => c.app === name);
    if (leftover) throw conflict(`claim ${leftover.id} of a former app ${name} still exists; wait until it is cleaned up or restore with --as NEWNAME`);
    const created: string[] = [];
    for (const sc of rp.storageClasses) {
      const current = store.storageClasses.get(sc.name);
      if (!current) {
        store.storageClasses.put(sc.name, sc);
        created.push(sc.name);
      } else if (current.spec.plugin !== sc.spec.plugin) {
        throw conflict(`storage class ${sc.name} now uses plugin ${current.spec.plugin}, but the snapshots belong to ${sc.spec.plugin}`);
      }
    }
    // Claims first: the apps controller finds them and does not create empty ones from the templates.
    for (const c of claims) {
      checkTransition(ctx.log, 'claim', c.id, null, c.state);
      store.claims.put(c.id, c);
    }
    store.apps.put(name, { name, spec: rp.spec, generation: 1, deleting: false, createdAt: new Date().toISOString() });
    for (const sc of created) ctx.event(`storageclass/${sc}`, 'Created', `storage class ${sc} re-created from recovery point ${rp.id}`);
    ctx.event(
      `app/${name}`,
      'Restoring',
      `app ${name} restored from recovery point ${rp.id} (app ${rp.app} generation ${rp.generation}, ${rp.consistency}): ${claims.length} volume(s) from snapshots`,
    );
    return { app: name, recoveryPoint: rp.id, claims: claims.map((c) => ({ id: c.id, snapshotId: c.dataSource!.id })), storageClassesCreated: created };
  });
}
