/**
 * The next step of a rolling update: at most one instance at a time moves to the app's new generation,
 * and the next only once every instance already on it is ready (running, and passing its readiness
 * check when the app has one). A rollout that cannot take its next step within the progress deadline
 * of its last one stops: the instances still on the old generation keep running it, and the app says why.
 */
import { isReady } from '../agents/task-health';
import type { AppRecord, TaskRecord } from '../store/records';

/** Like Kubernetes' progressDeadlineSeconds default: long enough for a database to recover and start. */
export const ROLLOUT_PROGRESS_DEADLINE_MS = 10 * 60_000;

export type RolloutStep =
  /** Nothing left on an older generation, or the rollout stopped. */
  | { readonly kind: 'done' }
  /** `task` moves to the new generation now. */
  | { readonly kind: 'roll'; readonly task: TaskRecord }
  /** An instance on the new generation is not ready yet; look again after `recheckInMs` (its deadline) if set. */
  | { readonly kind: 'wait'; readonly recheckInMs?: number }
  /** The deadline passed: the rollout stops here, for `why`. */
  | { readonly kind: 'stall'; readonly why: string };

export function nextRolloutStep(app: AppRecord, tasks: readonly TaskRecord[], nowMs: number, deadlineMs = ROLLOUT_PROGRESS_DEADLINE_MS): RolloutStep {
  if (app.rolloutStalled?.generation === app.generation) return { kind: 'done' };
  const current = tasks.filter((t) => t.instance < app.spec.instances);
  const old = current.filter((t) => t.generation < app.generation);
  if (old.length === 0) return { kind: 'done' };
  const waiting = current.filter((t) => t.generation === app.generation && !isReady(t));
  if (waiting.length === 0) return { kind: 'roll', task: [...old].sort((a, b) => a.instance - b.instance)[0]! };
  // The deadline counts from the rollout's last step (its newest roll): a rollout that has moved no
  // instance for that long is stuck. Without a roll yet (instances created on the new generation) there is none.
  const rolls = current.filter((t) => t.generation === app.generation && t.rolledAt !== undefined).map((t) => Date.parse(t.rolledAt!));
  if (rolls.length === 0) return { kind: 'wait' };
  const left = Math.max(...rolls) + deadlineMs - nowMs;
  if (left > 0) return { kind: 'wait', recheckInMs: left };
  const late = [...waiting].sort((a, b) => a.instance - b.instance)[0]!;
  const readiness = late.health ? `, readiness ${late.health}` : '';
  const failure = late.healthMessage ? `; last check failure: ${late.healthMessage}` : late.message ? `; ${late.message}` : '';
  return {
    kind: 'stall',
    why:
      `rollout to generation ${app.generation} stopped: ${late.id} was not ready ${Math.round(deadlineMs / 1000)} s after the rollout's last step ` +
      `(${late.state}${readiness}${failure}); ${old.length} instance(s) stay on their older generation until the app is applied again`,
  };
}
