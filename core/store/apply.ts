/**
 * `apply` as one transaction: check every reference against the store *inside* the transaction
 * (no window between the check and the writes), write the objects in dependency order, create the
 * claims of new instances, and record an event per change. Any failure — an unresolved reference,
 * a version conflict, an app being deleted — throws and leaves the store exactly as it was.
 *
 * Usage (server):  const manifests = parseManifests(text);            // ManifestError → 400
 *                  const results = await store.transaction((tx) => applyManifests(tx, manifests));
 */
import { assertReferences, objectKey } from '../manifests';
import type { AppManifest, LocatedManifest, Manifest } from '../manifests';
import { claimId } from './ids';
import type { AppRecord, ClaimRecord } from './records';
import { storeReferenceLookup } from './reference-lookup';
import type { Applied, ApplyChange, StoreTx, WriteOptions } from './store';

export interface AppliedObject {
  /** "App/pg" */
  readonly object: string;
  readonly change: ApplyChange;
  readonly version: number;
}

export interface ApplyOptions {
  /** Optimistic concurrency per object ("App/pg" → version read by the client; 0 = must not exist). */
  readonly expectedVersions?: ReadonlyMap<string, number>;
}

/** Secrets before the classes naming them, plugins before classes, classes before the apps using them. */
const ORDER: Readonly<Record<Manifest['kind'], number>> = { Secret: 0, Plugin: 1, StorageClass: 2, App: 3 };

/** @throws UnresolvedReferenceError, ConflictError, ObjectDeletingError — always before anything is committed */
export function applyManifests(tx: StoreTx, manifests: readonly LocatedManifest[], options: ApplyOptions = {}): AppliedObject[] {
  assertReferences(manifests, storeReferenceLookup(tx));
  const ordered = [...manifests].sort((a, b) => ORDER[a.manifest.kind] - ORDER[b.manifest.kind] || a.documentIndex - b.documentIndex);
  return ordered.map(({ manifest }) => {
    const key = objectKey(manifest);
    const expectedVersion = options.expectedVersions?.get(key);
    const writeOptions: WriteOptions = expectedVersion === undefined ? {} : { expectedVersion };
    const applied = applyOne(tx, manifest, writeOptions);
    if (applied.change !== 'unchanged') {
      tx.events.append({
        objectKind: manifest.kind,
        objectId: manifest.name,
        type: 'Normal',
        reason: applied.change === 'created' ? 'Created' : 'Updated',
        message: `${key} ${applied.change} (version ${applied.record.version})`,
      });
    }
    return { object: key, change: applied.change, version: applied.record.version };
  });
}

function applyOne(tx: StoreTx, manifest: Manifest, options: WriteOptions): Applied<{ version: number }> {
  switch (manifest.kind) {
    case 'Secret':
      return tx.secrets.apply(manifest.name, manifest.data, options);
    case 'Plugin':
      return tx.plugins.apply(manifest.name, manifest.spec, options);
    case 'StorageClass':
      return tx.storageClasses.apply(manifest.name, manifest.spec, options);
    case 'App': {
      const applied = tx.apps.apply(manifest.name, manifest.spec, options);
      if (applied.change !== 'unchanged') ensureClaims(tx, applied.record);
      return applied;
    }
  }
}

/**
 * Creates the missing claims of instances 0..instances-1 (instance i always gets claim i, so an
 * existing claim — retained from an earlier scale-down — is reused, never replaced). Claims of
 * removed instances and changed templates are the claim controller's business.
 */
export function ensureClaims(tx: StoreTx, app: Pick<AppRecord, 'name' | 'spec'> | AppManifest): ClaimRecord[] {
  const created: ClaimRecord[] = [];
  for (let instance = 0; instance < app.spec.instances; instance++) {
    for (const volume of app.spec.volumes) {
      const id = claimId(app.name, volume.name, instance);
      if (tx.claims.get(id)) continue;
      created.push(
        tx.claims.create({
          id,
          app: app.name,
          template: volume.name,
          instance,
          storageClass: volume.claim.storageClass,
          sizeBytes: volume.claim.sizeBytes,
          accessMode: volume.claim.accessMode,
          volumeMode: volume.claim.volumeMode,
          ...(volume.claim.dataSource ? { dataSource: volume.claim.dataSource } : {}),
          state: 'pending',
          retain: app.spec.retainOnScaleDown,
        }),
      );
    }
  }
  return created;
}
