/** Text for `berth describe`: why a task is where it is, or why it is pending, node by node. */
import type { PlacementResult } from './types';

export function describePlacement(result: PlacementResult): string[] {
  if (result.kind === 'placed') {
    return [`${result.taskId}: placed on node ${result.nodeId} (score ${result.score.toFixed(2)})`];
  }
  return [
    `${result.taskId}: pending (${result.reason}) — ${result.summary}`,
    ...result.rejections.map((r) => `  node ${r.nodeId}: ${r.reason} — ${r.message}`),
  ];
}
