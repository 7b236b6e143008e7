import assert from 'node:assert/strict';
import type { AppSpec, StorageClassSpec } from '../../core/manifests';
import { parseStorageClassMap } from '../../cli/restore-commands';
import { BerthError, HTTP_STATUS } from '../../lib/errors';
import type { ClaimRecord, StorageClassRecord } from '../store/records';
import { classesUsed, ClusterView, mapSpec, planStorageClasses, restoreClaims } from './restore-plan';

const scSpec = (plugin: string, extra: Partial<StorageClassSpec> = {}): StorageClassSpec =>
  ({
    plugin,
    bindingMode: 'WaitForFirstConsumer',
    reclaimPolicy: 'Retain',
    allowExpansion: false,
    parameters: { pool: 'fast' },
    mountOptions: [],
    ...extra,
  }) as StorageClassSpec;

const spec: AppSpec = {
  instances: 2,
  runtime: 'docker',
  image: 'busybox',
  command: [],
  env: {},
  resources: { cpuMillis: 100, memoryBytes: 1 << 25 },
  constraints: [],
  volumes: [
    {
      name: 'data',
      mountPath: '/data',
      readOnly: false,
      claim: { storageClass: 'fast', sizeBytes: 64 << 20, accessMode: 'single-node-writer', volumeMode: 'filesystem' },
    },
    {
      name: 'wal',
      mountPath: '/wal',
      readOnly: false,
      claim: { storageClass: 'slow', sizeBytes: 16 << 20, accessMode: 'single-node-writer', volumeMode: 'filesystem' },
    },
  ],
  onNodeLost: 'wait',
  retainOnScaleDown: false,
  hooks: { preSnapshot: [], postSnapshot: [] },
} as AppSpec;

const recordedClaim = (template: string, instance: number, sizeBytes: number, storageClass: string): ClaimRecord => ({
  id: `db/${template}/${instance}`,
  app: 'db',
  template,
  instance,
  storageClass,
  sizeBytes,
  accessMode: 'single-node-writer',
  volumeMode: 'filesystem',
  state: 'bound',
  retained: false,
  volumeId: `v-${template}${instance}`,
});

const meta = {
  spec,
  claims: [
    recordedClaim('data', 0, 64 << 20, 'fast'),
    recordedClaim('data', 1, 128 << 20, 'fast'),
    recordedClaim('wal', 0, 16 << 20, 'slow'),
    recordedClaim('wal', 1, 16 << 20, 'slow'),
  ],
  storageClasses: [
    { name: 'fast', spec: scSpec('berth.local') },
    { name: 'slow', spec: scSpec('berth.nfs', { provisionerSecret: 'nfs-creds' }) },
  ] as StorageClassRecord[],
  volumes: [{ volume: 'wal-1', sizeBytes: 32 << 20 }] as never[],
};

function cluster(classes: StorageClassRecord[], plugins: string[], secrets: string[] = []): ClusterView {
  return {
    storageClass: (n) => classes.find((c) => c.name === n),
    pluginKnown: (p) => plugins.includes(p),
    secretExists: (s) => secrets.includes(s),
  };
}

function refused(fn: () => unknown, status: number, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof BerthError && HTTP_STATUS[e.code] === status && pattern.test(e.message));
}

describe('restore plan: storage classes', () => {
  it('lists every class the app uses, from templates and claims', () => {
    assert.deepEqual(classesUsed(meta), ['fast', 'slow']);
  });

  it('keeps classes the cluster has and re-creates missing ones whose plugin it knows', () => {
    const plan = planStorageClasses(meta, {}, cluster([{ name: 'slow', spec: scSpec('berth.nfs') }], ['berth.local']));
    assert.deepEqual(plan.target, { fast: 'fast', slow: 'slow' });
    assert.deepEqual(
      plan.create.map((c) => [c.name, c.spec.plugin]),
      [['fast', 'berth.local']],
    );
  });

  it('refuses a missing class whose plugin the cluster lacks, suggesting --storage-class-map', () => {
    refused(
      () => planStorageClasses(meta, {}, cluster([], ['berth.local'], ['nfs-creds'])),
      400,
      /storage class slow needs CSI plugin berth\.nfs.*--storage-class-map slow=NEW/,
    );
  });

  it('maps classes onto existing ones, and refuses an unknown target or a class the backup does not use', () => {
    const here = cluster([{ name: 'local', spec: scSpec('berth.local') }], ['berth.local']);
    const plan = planStorageClasses(meta, { slow: 'local' }, here);
    assert.deepEqual(plan.target, { fast: 'fast', slow: 'local' });
    assert.deepEqual(
      plan.create.map((c) => c.name),
      ['fast'],
    );
    refused(() => planStorageClasses(meta, { slow: 'nope' }, here), 400, /slow=nope: storage class nope does not exist/);
    refused(() => planStorageClasses(meta, { slwo: 'local' }, here), 400, /names slwo, which the backup does not use/);
  });

  it('refuses a class that needs a secret the cluster lacks, naming it', () => {
    refused(() => planStorageClasses(meta, {}, cluster([], ['berth.local', 'berth.nfs'])), 400, /storage class slow needs secret nfs-creds/);
    const ok = planStorageClasses(meta, {}, cluster([], ['berth.local', 'berth.nfs'], ['nfs-creds']));
    assert.deepEqual(
      ok.create.map((c) => c.name),
      ['fast', 'slow'],
    );
  });

  it('maps the storage classes in the app spec', () => {
    const mapped = mapSpec(spec, { fast: 'fast', slow: 'local' });
    assert.deepEqual(
      mapped.volumes.map((v) => v.claim.storageClass),
      ['fast', 'local'],
    );
    assert.equal(spec.volumes[1].claim.storageClass, 'slow', 'the input is not changed');
  });
});

describe('restore plan: claims', () => {
  const manifestVolumes = new Map(['data-0', 'data-1', 'wal-0', 'wal-1'].map((n) => [n, { size: 1000, kind: 'files' as 'files' | 'blocks' }]));
  const input = { app: 'copy', restoreId: 'rs-1', repository: 'main', backupId: 'B1', meta, manifestVolumes, target: { fast: 'fast', slow: 'local' } };

  it('gives claim i of template t the backed-up volume t-i, mapped class, never smaller than backed up', () => {
    const claims = restoreClaims(input);
    assert.deepEqual(
      claims.map((c) => [c.id, c.storageClass, c.sizeBytes, (c.dataSource as { volume: string }).volume]),
      [
        ['copy/data/0', 'fast', 64 << 20, 'data-0'],
        ['copy/wal/0', 'local', 16 << 20, 'wal-0'],
        ['copy/data/1', 'fast', 128 << 20, 'data-1'],
        ['copy/wal/1', 'local', 32 << 20, 'wal-1'],
      ],
    );
    for (const c of claims) {
      assert.deepEqual({ ...c.dataSource, volume: undefined }, { kind: 'backup', id: 'B1', repository: 'main', restoreId: 'rs-1', volume: undefined });
      assert.equal(c.dataRestored, false);
      assert.equal(c.state, 'pending');
      assert.equal(c.volumeId, undefined, 'a new claim: no volume of the old cluster');
    }
  });

  it('refuses a backup that lacks a volume or stores it in the other mode', () => {
    const missing = new Map(manifestVolumes);
    missing.delete('wal-1');
    refused(() => restoreClaims({ ...input, manifestVolumes: missing }), 400, /backup B1 has no volume wal-1/);
    const blocks = new Map(manifestVolumes).set('data-0', { size: 1, kind: 'blocks' });
    refused(() => restoreClaims({ ...input, manifestVolumes: blocks }), 400, /stores volume data-0 as blocks/);
  });
});

describe('berth restore --storage-class-map', () => {
  it('parses OLD=NEW pairs and refuses malformed input', () => {
    assert.equal(parseStorageClassMap(undefined), undefined);
    assert.deepEqual(parseStorageClassMap('a=b, c=d'), { a: 'b', c: 'd' });
    assert.throws(() => parseStorageClassMap('a'), /expected OLD=NEW/);
    assert.throws(() => parseStorageClassMap('a=b,a=c'), /maps a twice/);
    assert.throws(() => parseStorageClassMap(','), /empty/);
  });
});
