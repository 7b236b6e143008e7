/**
 * Score normalization (Nomad's ScoreNormalizationIterator in spirit): every scorer yields [0, 1];
 * the final score is their weighted mean over the scorers that apply to this task, so adding a
 * scorer never inflates scores and tasks with and without data compare on the same scale.
 */
import type { NodeView } from '../node-view';
import type { PassState } from '../pass-state';
import type { TaskEvaluation } from '../task-evaluation';
import type { Scorer } from '../types';

export function combinedScore(scorers: readonly Scorer[], task: TaskEvaluation, node: NodeView, pass: PassState): number {
  let weighted = 0;
  let weights = 0;
  for (const s of scorers) {
    if (s.weight === 0) continue;
    weighted += s.weight * s.score(task, node, pass);
    weights += s.weight;
  }
  return weights === 0 ? 0 : weighted / weights;
}
