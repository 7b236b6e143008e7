/**
 * One hook command in one instance, as a recovery point records it: how it ended (exit code, killed at
 * its timeout, or never run), how long it took and the policy it ran with; and the words used for it
 * in events and messages.
 */
import type { HookPolicy } from '../../core/manifests';
import type { ExecResult } from '../agents/node-link';
import type { HookRun, TaskRecord } from '../store/records';

/** Hook output kept in records and events: the tail, so a chatty hook cannot bloat the store. */
const OUTPUT_LIMIT = 4096;

/** Timers and clocks of two processes may disagree by a little: an error this close to the timeout is it. */
const TIMER_SLACK_MS = 50;

const tail = (s: string): string => (s.length > OUTPUT_LIMIT ? `…${s.slice(-OUTPUT_LIMIT)}` : s);
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Runs the command in a task where it runs (AgentNode.Exec on its node). */
export type HookExec = (taskId: string, command: readonly string[], timeoutMs: number) => Promise<ExecResult>;

/**
 * Runs one hook in one task. The agent kills the command at `timeoutSeconds` and answers with an error;
 * an error that comes after the timeout has passed is that kill (or an agent that said nothing as long),
 * so it is recorded as timed out rather than as an error of its own. `exec` undefined: the task's node
 * is unknown, and the hook is recorded as not run.
 */
export async function runHook(
  exec: HookExec | undefined,
  phase: HookRun['phase'],
  task: TaskRecord,
  command: readonly string[],
  policy: HookPolicy,
  now: () => number = Date.now,
): Promise<HookRun> {
  const base = { phase, taskId: task.id, nodeId: task.nodeId, timeoutSeconds: policy.timeoutSeconds, onFailure: policy.onFailure };
  const timeoutMs = policy.timeoutSeconds * 1000;
  const started = now();
  try {
    if (!exec) throw new Error(`node ${task.nodeId} is unknown`);
    const r = await exec(task.id, command, timeoutMs);
    const ok = r.exitCode === 0;
    return { ...base, exitCode: r.exitCode, output: tail(r.output), ok, outcome: ok ? 'succeeded' : 'failed', durationMs: now() - started };
  } catch (error) {
    const durationMs = now() - started;
    return {
      ...base,
      exitCode: -1,
      output: tail(errorText(error)),
      ok: false,
      outcome: durationMs >= timeoutMs - TIMER_SLACK_MS ? 'timed-out' : 'not-run',
      durationMs,
    };
  }
}

/**
 * A hook not run because its instance runs but is not ready (its app has a readiness check that does
 * not pass): a command run in a database that is not serving would report on nothing. Recorded as a
 * run that did not happen, so the hook's failure policy decides what the recovery point makes of it.
 */
export function notReadyRun(phase: HookRun['phase'], task: TaskRecord, policy: HookPolicy): HookRun {
  const why = `instance not ready (readiness ${task.health ?? 'unknown'}${task.healthMessage ? `: ${task.healthMessage}` : ''})`;
  return {
    phase,
    taskId: task.id,
    nodeId: task.nodeId,
    timeoutSeconds: policy.timeoutSeconds,
    onFailure: policy.onFailure,
    exitCode: -1,
    output: why,
    ok: false,
    outcome: 'not-run',
    durationMs: 0,
  };
}

/** Whether hooks may run in a running task: ready, when its app has a readiness check. */
export function readyForHooks(task: TaskRecord, hasReadiness: boolean): boolean {
  return !hasReadiness || task.health === 'healthy';
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/** "exit 3", "timed out after 30s", "not run": how a run ended, in words. */
export function hookEnding(h: HookRun): string {
  if (h.outcome === 'timed-out') return `timed out after ${h.timeoutSeconds}s`;
  if (h.outcome === 'not-run') return 'not run';
  return `exit ${h.exitCode}`;
}

/** The event of one run: "preSnapshot in db-0: exit 0 after 0.1s, output: flushed". */
export function hookRunEvent(h: HookRun): string {
  const took = h.durationMs !== undefined && h.outcome !== 'timed-out' ? ` after ${seconds(h.durationMs)}` : '';
  const killed = h.outcome === 'timed-out' ? ' (killed)' : '';
  const output = h.output.trim();
  return `${h.phase} in ${h.taskId}: ${hookEnding(h)}${took}${killed}${output ? `, output: ${output}` : ''}${h.ok ? '' : `; onFailure: ${h.onFailure ?? 'fail'}`}`;
}

/** "preSnapshot hook failed in db-0 on node n1 (exit 3): output" — what a failed run did to its recovery point. */
export function hookFailure(h: HookRun): string {
  return `${h.phase} hook failed in ${h.taskId}${h.nodeId ? ` on node ${h.nodeId}` : ''} (${hookEnding(h)}): ${h.output.trim() || '(no output)'}`;
}
