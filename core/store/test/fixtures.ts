import { parseManifests } from '../../manifests';
import type { AppSpec, StorageClassSpec } from '../../manifests';
import type { NodeRegistration } from '..';

export function appSpec(yamlSpec = '{ image: busybox, volumes: [{ name: data, mountPath: /data, claim: { storageClass: local, size: 1Gi } }] }'): AppSpec {
  const [m] = parseManifests(`kind: App\nname: x\nspec: ${yamlSpec}`);
  if (m?.manifest.kind !== 'App') throw new Error('fixture is not an App');
  return m.manifest.spec;
}

export function storageClassSpec(): StorageClassSpec {
  const [m] = parseManifests('kind: StorageClass\nname: local\nspec: { plugin: berth.local, parameters: { pool: ssd } }');
  if (m?.manifest.kind !== 'StorageClass') throw new Error('fixture is not a StorageClass');
  return m.manifest.spec;
}

export function nodeRegistration(id: string, ssdBytes = 1024 ** 3): NodeRegistration {
  return {
    id,
    address: `${id}:7443`,
    zone: 'z1',
    labels: { disk: 'ssd' },
    cpuMillis: 4000,
    memoryBytes: 8 * 1024 ** 3,
    pools: [{ plugin: 'berth.local', pool: 'ssd', capacityBytes: ssdBytes, healthy: true }],
    plugins: [{ plugin: 'berth.local', healthy: true, maxVolumesPerNode: 16 }],
  };
}
