/** A plugin's max_volumes_per_node: every claim of the task takes one attach slot of its plugin on the node. */
import { RejectionReason } from '../reasons';
import type { Filter } from '../types';
import { unschedulable } from './reject';

export const attachLimitFilter: Filter = {
  name: 'attach-limit',
  check(task, node, pass) {
    const credit = task.creditOn(node.id);
    for (let i = 0; i < task.attachments.length; i++) {
      const { plugin, count } = task.attachments[i]!;
      const credited = credit?.attachments.find((a) => a.plugin === plugin)?.count ?? 0;
      const free = pass.freeAttachSlots(node.id, plugin) + credited;
      if (count > free) {
        const limit = pass.ledgerState(node.id)!.capacity.attachSlots.get(plugin);
        return unschedulable(
          node.id,
          RejectionReason.AttachLimit,
          `plugin ${plugin} allows ${limit} volumes per node, ${Math.max(free, 0)} slots free, task needs ${count}`,
        );
      }
    }
    return null;
  },
};
