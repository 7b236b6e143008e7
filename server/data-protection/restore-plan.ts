import type { AppSpec } from '../../core/manifests';
import type { BackupAppMetadata } from './backup-metadata';
import { backupVolumeName } from './backup-metadata';
import { invalidArgument } from '../../lib/errors';
import { claimIdOf } from '../store/naming';
import type { ClaimRecord, StorageClassRecord } from '../store/records';

/**
 * The pure part of a restore from a backup: which storage classes the restored claims use (mapped,
 * existing, or re-created from the backup), and the claims themselves. No store, no repository: the
 * caller passes what the cluster has, so every refusal here is decided before anything is written.
 */

/** What the planner may ask about the cluster it restores into. */
export interface ClusterView {
  storageClass(name: string): StorageClassRecord | undefined;
  /** A CSI plugin this cluster knows: a Plugin manifest or a node reporting it. */
  pluginKnown(name: string): boolean;
  secretExists(name: string): boolean;
}

export interface StorageClassPlan {
  /** Backed-up class name → class name in this cluster (identity for unmapped ones). */
  target: Record<string, string>;
  /** Classes missing here, re-created from the backup's records (unmapped, plugin known). */
  create: StorageClassRecord[];
}

/** Every storage class name the backed-up app refers to: its templates and its claims. */
export function classesUsed(meta: Pick<BackupAppMetadata, 'spec' | 'claims'>): string[] {
  const names = new Set<string>();
  for (const t of meta.spec.volumes) names.add(t.claim.storageClass);
  for (const c of meta.claims) names.add(c.storageClass);
  return [...names].sort();
}

/**
 * Decides the target class of every class the backup uses. Refuses (400, naming the class) a mapping
 * of a class the backup does not use (a typo would silently do nothing), a mapped target that does
 * not exist, a missing class whose plugin this cluster does not have, and a class needing a secret
 * this cluster lacks (secrets are never stored in backups).
 */
export function planStorageClasses(
  meta: Pick<BackupAppMetadata, 'spec' | 'claims' | 'storageClasses'>,
  map: Readonly<Record<string, string>>,
  cluster: ClusterView,
): StorageClassPlan {
  const used = classesUsed(meta);
  for (const from of Object.keys(map)) {
    if (!used.includes(from))
      throw invalidArgument(`--storage-class-map names ${from}, which the backup does not use (it uses ${used.join(', ') || 'no storage class'})`);
  }
  const target: Record<string, string> = {};
  const create: StorageClassRecord[] = [];
  for (const name of used) {
    const mapped = map[name];
    if (mapped !== undefined) {
      if (!cluster.storageClass(mapped)) throw invalidArgument(`--storage-class-map ${name}=${mapped}: storage class ${mapped} does not exist in this cluster`);
      target[name] = mapped;
      continue;
    }
    target[name] = name;
    if (cluster.storageClass(name)) continue;
    const recorded = meta.storageClasses.find((s) => s.name === name);
    if (!recorded)
      throw invalidArgument(
        `storage class ${name} does not exist in this cluster and the backup does not record it; map it with --storage-class-map ${name}=NEW`,
      );
    if (!cluster.pluginKnown(recorded.spec.plugin)) {
      throw invalidArgument(
        `storage class ${name} needs CSI plugin ${recorded.spec.plugin}, which this cluster does not have; ` +
          `map it to a class of this cluster with --storage-class-map ${name}=NEW`,
      );
    }
    create.push({ name: recorded.name, spec: recorded.spec });
  }
  for (const name of new Set(Object.values(target))) {
    const sc = create.find((s) => s.name === name) ?? cluster.storageClass(name)!;
    for (const secret of [sc.spec.provisionerSecret, sc.spec.publishSecret, sc.spec.stageSecret]) {
      if (secret && !cluster.secretExists(secret)) {
        throw invalidArgument(`storage class ${name} needs secret ${secret}, which this cluster does not have (backups do not carry secrets); apply it first`);
      }
    }
  }
  return { target, create };
}

/** The app spec with every template's storage class mapped. */
export function mapSpec(spec: AppSpec, target: Readonly<Record<string, string>>): AppSpec {
  return {
    ...spec,
    volumes: spec.volumes.map((t) => ({ ...t, claim: { ...t.claim, storageClass: target[t.claim.storageClass] ?? t.claim.storageClass } })),
  };
}

export interface ClaimPlanInput {
  app: string;
  restoreId: string;
  repository: string;
  backupId: string;
  meta: Pick<BackupAppMetadata, 'spec' | 'claims' | 'volumes'>;
  /** The manifest's volumes by name: a volume the manifest lacks cannot be restored. */
  manifestVolumes: ReadonlyMap<string, { size: number; kind: 'files' | 'blocks' }>;
  target: Readonly<Record<string, string>>;
}

/**
 * Claim i of template t gets the backed-up volume `t-i`: same instance, same data. Its size is never
 * smaller than what was backed up, its class is the mapped one, and it is created empty (a backup is
 * not a CSI content source) and filled by the data mover before instance i may start.
 */
export function restoreClaims(input: ClaimPlanInput): ClaimRecord[] {
  const { meta } = input;
  const claims: ClaimRecord[] = [];
  for (let i = 0; i < meta.spec.instances; i++) {
    for (const tpl of meta.spec.volumes) {
      const volume = backupVolumeName(tpl.name, i);
      const stored = input.manifestVolumes.get(volume);
      if (!stored) throw invalidArgument(`backup ${input.backupId} has no volume ${volume} (volume ${tpl.name} of instance ${i}); it cannot be restored`);
      const recorded = meta.claims.find((c) => c.template === tpl.name && c.instance === i);
      const described = meta.volumes.find((v) => v.volume === volume);
      const storageClass = recorded?.storageClass ?? tpl.claim.storageClass;
      const volumeMode = recorded?.volumeMode ?? tpl.claim.volumeMode;
      if ((stored.kind === 'blocks') !== (volumeMode === 'block')) {
        throw invalidArgument(`backup ${input.backupId} stores volume ${volume} as ${stored.kind}, but its claim is a ${volumeMode} volume`);
      }
      claims.push({
        id: claimIdOf(input.app, tpl.name, i),
        app: input.app,
        template: tpl.name,
        instance: i,
        storageClass: input.target[storageClass] ?? storageClass,
        sizeBytes: Math.max(recorded?.sizeBytes ?? 0, tpl.claim.sizeBytes, described?.sizeBytes ?? 0),
        accessMode: recorded?.accessMode ?? tpl.claim.accessMode,
        volumeMode,
        dataSource: { kind: 'backup', id: input.backupId, repository: input.repository, volume, restoreId: input.restoreId },
        dataRestored: false,
        state: 'pending',
      });
    }
  }
  return claims;
}
