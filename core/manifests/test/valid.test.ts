import { strict as assert } from 'node:assert';
import { inspect } from 'node:util';
import { matchingPools, parseManifests, toDocument, validateManifests } from '..';
import type { AppManifest, PluginManifest, SecretManifest, StorageClassManifest } from '..';
import { GOOD_APP } from './helpers';

const Mi = 1024 ** 2;
const Gi = 1024 ** 3;

describe('manifests: valid input parses to typed objects with defaults', () => {
  it('parses an App, filling every default', () => {
    const [located] = parseManifests(GOOD_APP);
    const app = located!.manifest as AppManifest;
    assert.deepEqual(app, {
      kind: 'App',
      name: 'pg',
      spec: {
        instances: 1,
        runtime: 'docker',
        image: 'busybox:local',
        command: [],
        env: {},
        resources: { cpuMillis: 100, memoryBytes: 128 * Mi },
        constraints: [],
        volumes: [
          {
            name: 'data',
            mountPath: '/data',
            readOnly: false,
            claim: { storageClass: 'local-btrfs', sizeBytes: Gi, accessMode: 'single-node-writer', volumeMode: 'filesystem' },
          },
        ],
        onNodeLost: 'wait',
        retainOnScaleDown: true,
        hooks: { preSnapshot: [], postSnapshot: [] },
      },
    });
  });

  it('parses the ARCHITECTURE.md example (multi-document YAML) and converts quantities', () => {
    const manifests = parseManifests(`kind: App
name: pg
spec:
  instances: 2
  runtime: docker
  image: busybox:local
  command: ["sh", "-c", "..."]
  env: { PGDATA: /data, PORT: 5432, DEBUG: true }
  resources: { cpu: 0.5, memory: 256Mi }
  constraints: [ { key: disk, value: ssd }, { key: zone, operator: NotIn, values: [z3] } ]
  volumes:
    - name: data
      mountPath: /data
      claim: { storageClass: local-btrfs, size: 1Gi, accessMode: single-node-writer }
    - name: raw
      mountPath: /dev/xvdb
      claim: { storageClass: local-btrfs, size: 512Mi, volumeMode: block, dataSource: { snapshot: snap-1 } }
  onNodeLost: restoreLatest
  hooks: { preSnapshot: ["sh","-c","sync"], postSnapshot: [] }
  backup: { schedule: "0 2 * * *", keep: 7, ttl: 30d, repository: offsite }
---
kind: StorageClass
name: local-btrfs
spec: { plugin: berth.local, bindingMode: WaitForFirstConsumer, reclaimPolicy: Delete,
        allowExpansion: true, parameters: { pool: ssd } }
`);
    assert.equal(manifests.length, 2);
    const app = manifests[0]!.manifest as AppManifest;
    assert.deepEqual(app.spec.resources, { cpuMillis: 500, memoryBytes: 256 * Mi });
    assert.deepEqual(app.spec.env, { PGDATA: '/data', PORT: '5432', DEBUG: 'true' });
    assert.deepEqual(app.spec.constraints, [
      { key: 'disk', operator: 'In', values: ['ssd'] },
      { key: 'zone', operator: 'NotIn', values: ['z3'] },
    ]);
    assert.deepEqual(app.spec.volumes[1]!.claim, {
      storageClass: 'local-btrfs',
      sizeBytes: 512 * Mi,
      accessMode: 'single-node-writer',
      volumeMode: 'block',
      dataSource: { kind: 'snapshot', id: 'snap-1' },
    });
    assert.deepEqual(app.spec.backup, { schedule: '0 2 * * *', keep: 7, ttlSeconds: 30 * 86400, repository: 'offsite' });
    assert.equal(manifests[1]!.documentIndex, 1);
    const sc = manifests[1]!.manifest as StorageClassManifest;
    assert.deepEqual(sc.spec, {
      plugin: 'berth.local',
      bindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Delete',
      allowExpansion: true,
      parameters: { pool: 'ssd' },
      mountOptions: [],
    });
  });

  it('applies StorageClass defaults and keeps secret references', () => {
    const [m] = parseManifests('kind: StorageClass\nname: nfs\nspec: {plugin: berth.nfs, provisionerSecret: nfs-admin, parameters: {replicas: 3}}');
    assert.deepEqual((m!.manifest as StorageClassManifest).spec, {
      plugin: 'berth.nfs',
      bindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Delete',
      allowExpansion: false,
      parameters: { replicas: '3' },
      mountOptions: [],
      provisionerSecret: 'nfs-admin',
    });
  });

  it('parses a Plugin registration; pools default to {pool: NAME} as capacity parameters', () => {
    const [m] = parseManifests(`kind: Plugin
name: vendor.example.com
spec:
  controller: { endpoint: "tcp://10.0.0.5:9000" }
  nodes:
    node-1: { endpoint: "unix:///var/lib/berth/plugins/vendor/csi.sock" }
  pools:
    - pool: fast
    - { pool: slow, parameters: { tier: hdd } }
`);
    const plugin = m!.manifest as PluginManifest;
    assert.deepEqual(plugin.spec, {
      controller: { endpoint: 'tcp://10.0.0.5:9000' },
      nodes: { 'node-1': { endpoint: 'unix:///var/lib/berth/plugins/vendor/csi.sock' } },
      pools: [
        { pool: 'fast', parameters: { pool: 'fast' } },
        { pool: 'slow', parameters: { tier: 'hdd' } },
      ],
    });
    assert.deepEqual(matchingPools({ parameters: { pool: 'fast', fsType: 'xfs' } }, plugin.spec), ['fast']);
    assert.deepEqual(parseManifests('kind: Plugin\nname: berth.local')[0]!.manifest, { kind: 'Plugin', name: 'berth.local', spec: { nodes: {}, pools: [] } });
  });

  it('keeps Secret values out of JSON, logs and inspect output', () => {
    const [m] = parseManifests('kind: Secret\nname: creds\ndata: {password: hunter2, user: admin}');
    const secret = m!.manifest as SecretManifest;
    assert.deepEqual(secret.data.reveal(), { password: 'hunter2', user: 'admin' });
    assert.ok(!JSON.stringify(secret).includes('hunter2'));
    assert.ok(!inspect(secret, { depth: 5 }).includes('hunter2'));
    assert.ok(!String(secret.data).includes('hunter2'));
    assert.deepEqual(JSON.parse(JSON.stringify(secret)), { kind: 'Secret', name: 'creds', data: { password: '<redacted>', user: '<redacted>' } });
  });

  it('accepts JSON: one object, or an array of manifests', () => {
    const one = parseManifests('{"kind": "StorageClass", "name": "s", "spec": {"plugin": "berth.local"}}');
    assert.equal(one.length, 1);
    const many = parseManifests(
      JSON.stringify([
        { kind: 'StorageClass', name: 's', spec: { plugin: 'berth.local' } },
        { kind: 'App', name: 'a', spec: { image: 'x' } },
      ]),
    );
    assert.deepEqual(
      many.map((m) => [m.documentIndex, m.manifest.kind]),
      [
        [0, 'StorageClass'],
        [1, 'App'],
      ],
    );
    assert.equal(validateManifests({ kind: 'App', name: 'a', spec: { image: 'x', instances: 0 } }).length, 1);
  });

  it('skips empty documents and accepts an apiVersion header', () => {
    const manifests = parseManifests('---\napiVersion: berth/v1\nkind: App\nname: a\nspec: {image: x}\n---\n---\n');
    assert.equal(manifests.length, 1);
    assert.equal('apiVersion' in manifests[0]!.manifest, false);
  });

  it('round-trips: toDocument renders exact quantities that parse back to the same manifest', () => {
    const original = parseManifests(`kind: App
name: pg
spec:
  instances: 3
  image: busybox
  resources: { cpu: 1500m, memory: 1.5Gi }
  volumes: [{ name: d, mountPath: /d, claim: { storageClass: s, size: 1000, dataSource: { volume: v-1 } } }]
  backup: { schedule: "*/5 * * * *", keep: 2, ttl: 1d12h }
`)[0]!.manifest;
    const document = toDocument(original);
    assert.deepEqual((document as { spec: { resources: unknown } }).spec.resources, { cpu: '1500m', memory: '1536Mi' });
    assert.deepEqual(validateManifests(document)[0]!.manifest, original);
  });
});
