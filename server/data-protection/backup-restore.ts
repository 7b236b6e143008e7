import { randomBytes } from 'node:crypto';
import { BackupNotFoundError, type BackupManifest } from '../../backup/repository';
import { dnsLabelProblem } from '../../core/manifests';
import { parseBackupMetadata } from './backup-metadata';
import type { ClusterContext } from '../cluster-context';
import { conflict, invalidArgument, rephrase } from '../../lib/errors';
import type { RestoreRecord } from '../store/records';
import type { Repositories } from './repositories';
import { mapSpec, planStorageClasses, restoreClaims } from './restore-plan';
import { checkTransition } from '../controllers/volume-lifecycle';

export const newRestoreId = (): string => `rs-${randomBytes(6).toString('hex')}`;

export interface BackupRestoreRequest {
  /** Repository name (or location) known to this cluster; the default one when omitted. */
  repository?: string;
  backupId: string;
  as?: string;
  storageClassMap?: Record<string, string>;
}

/**
 * Restore an app and its data from a backup in a repository, in this cluster or a fresh one.
 *
 * Everything that can be refused is checked first (backup readable and a Berth app backup, name free,
 * storage classes resolvable, secrets present); then one store transaction writes the storage classes
 * to re-create, the RestoreRecord, the claims (each pointing at its backed-up volume) and the app.
 * From there the ordinary controllers place every instance and provision its volumes on the chosen
 * node (new topology, not the old node names: WaitForFirstConsumer), the data-restore controller fills
 * each volume through the agent's data mover (the repository verifies every chunk), and only then does
 * assignments.ts hand the instance to its agent.
 */
export async function restoreFromBackup(ctx: ClusterContext, repositories: Repositories, request: BackupRestoreRequest): Promise<RestoreRecord> {
  const { store } = ctx;
  const repoRecord = repositories.resolve(request.repository);
  const repo = await repositories.handle(repoRecord.name);
  let manifest: BackupManifest;
  try {
    manifest = await repo.getBackup(request.backupId);
  } catch (error) {
    if (error instanceof BackupNotFoundError)
      throw rephrase(error, `backup ${request.backupId} not found in repository ${repoRecord.name} (${repoRecord.location})`);
    throw error;
  }
  const meta = parseBackupMetadata(manifest.app, manifest.id);
  const name = request.as ?? meta.app;
  const problem = dnsLabelProblem(name);
  if (problem) throw invalidArgument(`invalid app name: ${problem}`);
  const restoreId = newRestoreId();
  const manifestVolumes = new Map(manifest.volumes.map((v) => [v.name, { size: v.size, kind: v.kind }]));

  return store.transaction(() => {
    // Checked inside the transaction so two concurrent restores under one name cannot both pass.
    if (store.apps.get(name)) {
      throw conflict(`app ${name} already exists; restore under another name with --as NEWNAME, or delete app ${name} first`);
    }
    const leftover = store.claims.list().find((c) => c.app === name);
    if (leftover) throw conflict(`claim ${leftover.id} of a former app ${name} still exists; wait until it is cleaned up or restore with --as NEWNAME`);
    const plan = planStorageClasses(meta, request.storageClassMap ?? {}, {
      storageClass: (n) => store.storageClasses.get(n),
      pluginKnown: (p) => Boolean(store.plugins.get(p)) || store.nodes.list().some((n) => n.plugins.some((x) => x.name === p)),
      secretExists: (s) => Boolean(store.secrets.get(s)),
    });
    const claims = restoreClaims({ app: name, restoreId, repository: repoRecord.name, backupId: manifest.id, meta, manifestVolumes, target: plan.target });
    const record: RestoreRecord = {
      id: restoreId,
      app: name,
      source: { kind: 'backup', repository: repoRecord.name, backupId: manifest.id },
      storageClassMap: { ...(request.storageClassMap ?? {}) },
      state: 'restoring',
      volumes: claims.map((c) => ({
        claimId: c.id,
        volume: (c.dataSource as { volume: string }).volume,
        state: 'pending',
        bytesDone: 0,
        bytesTotal: manifestVolumes.get((c.dataSource as { volume: string }).volume)?.size ?? 0,
      })),
      createdAt: new Date().toISOString(),
    };
    for (const sc of plan.create) store.storageClasses.put(sc.name, sc);
    store.restores.put(record.id, record);
    // Claims before the app: the apps controller finds them and does not create empty ones from the templates.
    for (const c of claims) {
      checkTransition(ctx.log, 'claim', c.id, null, c.state);
      store.claims.put(c.id, c);
    }
    store.apps.put(name, { name, spec: mapSpec(meta.spec, plan.target), generation: 1, deleting: false, createdAt: record.createdAt });
    for (const sc of plan.create) ctx.event(`storageclass/${sc.name}`, 'Created', `storage class ${sc.name} re-created from backup ${manifest.id}`);
    ctx.event(
      `app/${name}`,
      'Restoring',
      `restore ${restoreId}: app ${name} from backup ${manifest.id} in repository ${repoRecord.name} ` +
        `(app ${meta.app} generation ${meta.generation}, ${meta.consistency}): ${claims.length} volume(s) to fill before the instances start`,
    );
    return record;
  });
}
