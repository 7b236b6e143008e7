import type { ClusterStore } from './cluster-store';

/**
 * The data of the secret a storage class names (provisionerSecret, publishSecret, stageSecret), for
 * the `secrets` field of a CSI request; empty when the class names none or the secret is gone.
 * Which one goes where follows the CSI spec: provisioner → Create/DeleteVolume and snapshots,
 * publish → ControllerPublish/Unpublish and NodePublish, stage → NodeStage.
 */
export function secretData(store: ClusterStore, name: string | undefined): Record<string, string> {
  return name ? (store.secrets.get(name)?.data ?? {}) : {};
}
