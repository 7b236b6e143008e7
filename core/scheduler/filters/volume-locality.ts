/**
 * A bound node-local volume exists on exactly one node, so the task may run only there. Network
 * volumes (no node in their binding) are not pinned; the data-locality scorer prefers their zone.
 */
import { RejectionReason } from '../reasons';
import type { Filter } from '../types';
import { unresolvable } from './reject';

export const volumeLocalityFilter: Filter = {
  name: 'volume-locality',
  check(task, node) {
    for (const pin of task.pins) {
      if (pin.nodeId !== node.id) {
        return unresolvable(
          node.id,
          RejectionReason.VolumeLocality,
          `volume ${pin.volumeId} of claim ${pin.claim.claimId} lives on node ${pin.nodeId}`,
        );
      }
    }
    return null;
  },
};
