/**
 * A bound node-local volume exists on exactly one node, so the task may run only there; so must a
 * task whose new volume is to be made from a node-local snapshot or volume (the plugin copies it in
 * place). Network volumes (no node in their binding) are not pinned; the data-locality scorer
 * prefers their zone.
 */
import { RejectionReason } from '../reasons';
import type { Filter } from '../types';
import { unresolvable } from './reject';

export const volumeLocalityFilter: Filter = {
  name: 'volume-locality',
  check(task, node) {
    for (const pin of task.pins) {
      if (pin.nodeId !== node.id) {
        return unresolvable(node.id, RejectionReason.VolumeLocality, `${pin.what} of claim ${pin.claim.claimId} lives on node ${pin.nodeId}`);
      }
    }
    return null;
  },
};
