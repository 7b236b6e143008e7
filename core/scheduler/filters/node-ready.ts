/** Only ready nodes that have registered their capacity in the ledger can take work. */
import { RejectionReason } from '../reasons';
import type { Filter } from '../types';
import { unresolvable } from './reject';

export const nodeReadyFilter: Filter = {
  name: 'node-ready',
  check(_task, node, pass) {
    if (!node.info.ready) return unresolvable(node.id, RejectionReason.NodeNotReady, 'node is not ready');
    if (!pass.ledgerState(node.id)) {
      return unresolvable(node.id, RejectionReason.NodeNotRegistered, 'node has not registered its capacity in the reservation ledger');
    }
    return null;
  },
};
