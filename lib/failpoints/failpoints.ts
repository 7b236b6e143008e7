import { setTimeout as sleep } from 'node:timers/promises';
import type { CrashPointName, PausePointName } from './catalogue';
import { ArmedFailpoint, armedEntry, parseFailpoints } from './parse';

export type { CrashPointName, FailpointName, PausePointName } from './catalogue';
export { FAILPOINTS } from './catalogue';
export { FailpointSyntaxError, parseFailpoints } from './parse';

/** The variable every Berth process (server, agent, plugins) reads its armed failpoints from. */
export const FAILPOINTS_ENV = 'BERTH_FAILPOINTS';

let parsed: { raw: string; armed: readonly ArmedFailpoint[] } | undefined;

/** What is armed now. Read at each point (cheap when unset), parsed once per distinct value. */
function armed(): readonly ArmedFailpoint[] {
  const raw = process.env[FAILPOINTS_ENV] ?? '';
  if (raw === '') return [];
  if (parsed?.raw !== raw) parsed = { raw, armed: parseFailpoints(raw) };
  return parsed.armed;
}

/** A crash point: when armed, the process kills itself here with SIGKILL (no cleanup, no flush). */
export function crashPoint(name: CrashPointName, subject?: string): void {
  if (armedEntry(armed(), name, subject)) process.kill(process.pid, 'SIGKILL');
}

/** The pause armed at this point in milliseconds, 0 when none. */
export function pauseMs(name: PausePointName, subject?: string): number {
  return armedEntry(armed(), name, subject)?.pauseMs ?? 0;
}

/** A pause point: when armed, waits the armed time here; `signal` ends the wait early (rejecting, as timers do). */
export async function pausePoint(name: PausePointName, options: { subject?: string; signal?: AbortSignal } = {}): Promise<void> {
  const ms = pauseMs(name, options.subject);
  if (ms > 0) await sleep(ms, undefined, { signal: options.signal });
}
