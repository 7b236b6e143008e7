import type { RecoveryPointRecord } from '../api';

type HookRun = RecoveryPointRecord['hooks'][number];

/**
 * One hook run in `describe` output: "preSnapshot in db-0: exit 0: flushed (0.1s)", or "timed out after
 * 30s" / "not run" for a command that was killed or never ran. Runs recorded before hooks had a policy
 * carry no outcome or duration and show as before.
 */
export function hookRunLine(h: HookRun): string {
  const ending = h.outcome === 'timed-out' ? `timed out after ${h.timeoutSeconds}s` : h.outcome === 'not-run' ? 'not run' : `exit ${h.exitCode}`;
  const output = h.output.trim();
  const took = h.durationMs !== undefined ? ` (${(h.durationMs / 1000).toFixed(1)}s)` : '';
  return `${h.phase} in ${h.taskId}: ${ending}${output ? `: ${output}` : ''}${took}`;
}

/** "crash-consistent (no preSnapshot hook)". */
export const consistencyText = (consistency: string, reason: string | undefined): string => `${consistency}${reason ? ` (${reason})` : ''}`;
