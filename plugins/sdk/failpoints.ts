/**
 * Named crash points for recovery tests. `BERTH_FAILPOINTS=a,b` makes the process kill itself with
 * SIGKILL when it reaches point a or b — the same as a power cut at that line, so a test can prove the
 * restart path resolves a half-finished operation. Unset in production, where this is a no-op.
 */
export function failpoint(name: string): void {
  const armed = process.env.BERTH_FAILPOINTS;
  if (armed && armed.split(',').includes(name)) process.kill(process.pid, 'SIGKILL');
}

/**
 * Named pauses for race tests: `BERTH_FAILPOINTS=name:ms` makes the process wait `ms` milliseconds when it
 * reaches point `name` — a slow step, so a test can act while it is under way. A no-op when unset.
 */
export async function delayPoint(name: string): Promise<void> {
  const armed = process.env.BERTH_FAILPOINTS;
  const entry = armed?.split(',').find((e) => e.startsWith(`${name}:`));
  const ms = entry ? Number(entry.slice(name.length + 1)) : 0;
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}
