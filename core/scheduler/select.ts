/**
 * Runs the pipeline over the pass's nodes for one task and ranks the feasible ones.
 *
 * Visiting order: first the "preferred" nodes — where the task holds a reservation or where its
 * local volume lives (Nomad's PreferredNodes); if one passes, it is chosen without looking
 * further. Otherwise nodes are visited in the pass's shuffled order from a random offset, and the
 * scan stops after `candidateLimit` feasible nodes (Nomad's LimitIterator): scoring all 5,000
 * nodes would not place better, only slower. A task with no feasible node visits every node,
 * so every node of an unschedulable task carries a rejection.
 */
import type { NodeView } from './node-view';
import type { PassState } from './pass-state';
import type { Random } from './random';
import { combinedScore } from './scorers/combine';
import type { Pipeline } from './stack';
import type { TaskEvaluation } from './task-evaluation';
import type { Rejection } from './types';

export interface Candidate {
  readonly node: NodeView;
  readonly score: number;
  /** Pool chosen for each unbound claim on this node, as indexes into `node.pools` (empty without unbound claims). */
  readonly plan: readonly number[];
}

const NO_PLAN: readonly number[] = Object.freeze([]);

export interface Selection {
  /** Feasible nodes, best first. */
  readonly ranked: readonly Candidate[];
  readonly rejections: readonly Rejection[];
  readonly nodesEvaluated: number;
}

export function selectNodes(pipeline: Pipeline, task: TaskEvaluation, pass: PassState, random: Random): Selection {
  const scorers = pipeline.scorers.filter((s) => s.appliesTo(task));
  const rejections: Rejection[] = [];
  const candidates: Candidate[] = [];
  let evaluated = 0;

  const visit = (node: NodeView): void => {
    evaluated++;
    const rejection = firstRejection(pipeline, task, node, pass);
    if (rejection) rejections.push(rejection);
    else {
      const score = combinedScore(scorers, task, node, pass);
      candidates.push({ node, score, plan: task.unboundClaims.length === 0 ? NO_PLAN : task.plan.slice() });
    }
  };

  const preferred = preferredNodes(task, pass);
  for (const node of preferred) visit(node);
  if (candidates.length > 0) return { ranked: rank(candidates), rejections, nodesEvaluated: evaluated };

  const order = pass.order;
  const n = order.length;
  const limit = pipeline.candidateLimit(n);
  const start = n === 0 ? 0 : Math.floor(random() * n);
  for (let i = 0; i < n && candidates.length < limit; i++) {
    const node = order[(start + i) % n]!;
    if (preferred.includes(node)) continue;
    visit(node);
  }
  return { ranked: rank(candidates), rejections, nodesEvaluated: evaluated };
}

function firstRejection(pipeline: Pipeline, task: TaskEvaluation, node: NodeView, pass: PassState): Rejection | null {
  for (const filter of pipeline.filters) {
    const rejection = filter.check(task, node, pass);
    if (rejection) return rejection;
  }
  return null;
}

function preferredNodes(task: TaskEvaluation, pass: PassState): NodeView[] {
  const ids = new Set<string>();
  for (const pin of task.pins) ids.add(pin.nodeId);
  if (task.held && task.pins.length === 0) ids.add(task.held.nodeId);
  const nodes: NodeView[] = [];
  for (const id of ids) {
    const node = pass.byId.get(id);
    if (node) nodes.push(node);
  }
  return nodes;
}

function rank(candidates: Candidate[]): Candidate[] {
  return candidates.sort((a, b) => b.score - a.score || (a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0));
}
