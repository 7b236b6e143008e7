/**
 * Named crash points for recovery tests. `BERTH_FAILPOINTS=a,b` makes the process kill itself with
 * SIGKILL when it reaches point a or b — the same as a power cut at that line, so a test can prove the
 * restart path resolves a half-finished operation. Unset in production, where this is a no-op.
 */
export function failpoint(name: string): void {
  const armed = process.env.BERTH_FAILPOINTS;
  if (armed && armed.split(',').includes(name)) process.kill(process.pid, 'SIGKILL');
}
