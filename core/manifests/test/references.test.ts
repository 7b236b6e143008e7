import { strict as assert } from 'node:assert';
import { assertReferences, checkReferences, parseManifests, UnresolvedReferenceError } from '..';
import type { ReferenceLookup } from '..';
import { GOOD_APP } from './helpers';

function lookup(names: { storageClasses?: string[]; plugins?: string[]; secrets?: string[] }): ReferenceLookup {
  return {
    hasStorageClass: (n) => (names.storageClasses ?? []).includes(n),
    hasPlugin: (n) => (names.plugins ?? []).includes(n),
    hasSecret: (n) => (names.secrets ?? []).includes(n),
    storageClassNames: () => names.storageClasses ?? [],
  };
}

describe('manifests: references to stored objects', () => {
  it('reports an unknown storage class at the claim that names it', () => {
    const issues = checkReferences(parseManifests(GOOD_APP), lookup({ storageClasses: ['local-btrfz', 'nfs'] }));
    assert.deepEqual(issues, [
      {
        documentIndex: 0,
        object: 'App/pg',
        path: 'spec.volumes[0].claim.storageClass',
        message: 'unknown storage class "local-btrfs" (did you mean local-btrfz?)',
      },
    ]);
    assert.throws(() => assertReferences(parseManifests(GOOD_APP), lookup({})), UnresolvedReferenceError);
  });

  it('resolves references to objects defined in the same input', () => {
    const manifests = parseManifests(`${GOOD_APP}---
kind: StorageClass
name: local-btrfs
spec: { plugin: berth.local, stageSecret: chap }
`);
    assert.deepEqual(
      checkReferences(manifests, lookup({ plugins: ['berth.local'] })).map((i) => `${i.object} ${i.path}: ${i.message}`),
      ['StorageClass/local-btrfs spec.stageSecret: unknown secret "chap" (apply a kind: Secret manifest first)'],
    );
    assert.deepEqual(checkReferences(manifests, lookup({ plugins: ['berth.local'], secrets: ['chap'] })), []);
  });

  it('reports a storage class whose plugin is not registered', () => {
    const manifests = parseManifests('kind: StorageClass\nname: s\nspec: {plugin: vendor.csi}');
    assert.deepEqual(
      checkReferences(manifests, lookup({})).map((i) => i.path),
      ['spec.plugin'],
    );
  });
});
