/** Every plugin the task's claims use (bound or not) must run, healthy, on the node: it stages and publishes the volumes. */
import { staticStorageVerdict } from '../static-storage';
import type { Filter } from '../types';
import { unresolvable } from './reject';

export const pluginHealthFilter: Filter = {
  name: 'plugin-health',
  check(task, node) {
    if (task.attachments.length === 0) return null;
    const problem = staticStorageVerdict(task, node).pluginProblem;
    return problem ? unresolvable(node.id, problem.reason, problem.message) : null;
  },
};
