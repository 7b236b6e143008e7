/**
 * Process identity from /proc. A pid alone is not an identity: after the task exits the kernel may
 * hand the same pid to an unrelated process. The pair (pid, start time in clock ticks since boot,
 * field 22 of /proc/PID/stat) is, so a re-adopted task is only "running" if both still match.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcStat {
  /** One letter: R, S, D, Z (zombie: exited, not yet reaped), T, … */
  readonly state: string;
  readonly startTicks: number;
}

export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or ')': split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field 22 (starttime) is rest[19].
  const startTicks = Number(rest[19]);
  if (!rest[0] || !Number.isFinite(startTicks)) return undefined;
  return { state: rest[0], startTicks };
}

/** True while the process with this pid is the one we started and has not exited. */
export function isSameLiveProcess(pid: number, startTicks: number | undefined): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 1) return false;
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTicks === undefined ? false : stat.startTicks === startTicks;
}

/** Live (non-zombie) members of a process group: what is left of a task after its leader exited. */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] = state (field 3), rest[2] = pgrp (field 5).
    if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') members.push(Number(entry));
  }
  return members;
}
