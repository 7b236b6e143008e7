/** Label constraints (Kubernetes-style In / NotIn / Exists / DoesNotExist; `zone` matches the node's zone). */
import { nodeLabel, type LabelConstraint, type NodeInfo } from '../../domain';
import { RejectionReason } from '../reasons';
import type { Filter } from '../types';
import { unresolvable } from './reject';

export const constraintFilter: Filter = {
  name: 'constraints',
  check(task, node) {
    for (const c of task.task.constraints) {
      const problem = violation(node.info, c);
      if (problem) return unresolvable(node.id, RejectionReason.Constraint, problem);
    }
    return null;
  },
};

/** Why the node violates `c`, or null if it satisfies it. */
export function violation(node: NodeInfo, c: LabelConstraint): string | null {
  const value = nodeLabel(node, c.key);
  const values = c.values ?? [];
  const wanted = `${c.key} ${c.operator}${values.length ? ` [${values.join(', ')}]` : ''}`;
  switch (c.operator) {
    case 'In':
      if (value === undefined) return `label ${c.key} is missing (task needs ${wanted})`;
      return values.includes(value) ? null : `label ${c.key}=${value} does not satisfy ${wanted}`;
    case 'NotIn':
      return value !== undefined && values.includes(value) ? `label ${c.key}=${value} does not satisfy ${wanted}` : null;
    case 'Exists':
      return value === undefined ? `label ${c.key} is missing (task needs ${wanted})` : null;
    case 'DoesNotExist':
      return value === undefined ? null : `label ${c.key}=${value} is present (task needs ${wanted})`;
  }
}
