import { FAILPOINTS, FailpointName, isFailpointName } from './catalogue';

/**
 * The one syntax of `BERTH_FAILPOINTS`: a comma-separated list of entries `name[@subject][:ms]`.
 *   local.create-volume.after-subvolume      crash point, armed for every subject
 *   server.backup.before-upload@crash:60000  pause point, 60 s, only for backups of app `crash`
 * A crash point takes no duration and a pause point needs one; an unknown name or a malformed entry is
 * refused as a whole, never ignored: a misspelt failpoint would otherwise make a test pass for the wrong reason.
 */
export interface ArmedFailpoint {
  readonly name: FailpointName;
  /** Fires only when reached for this subject; undefined: for every subject. */
  readonly subject?: string;
  /** Pause points: how long to wait. */
  readonly pauseMs?: number;
}

export class FailpointSyntaxError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`BERTH_FAILPOINTS: ${problems.join('; ')}`);
    this.name = 'FailpointSyntaxError';
  }
}

const ENTRY = /^([a-z0-9][a-z0-9.-]*)(?:@([A-Za-z0-9][A-Za-z0-9_.-]*))?(?::(\d{1,9}))?$/;

export function parseFailpoints(value: string | undefined): ArmedFailpoint[] {
  const armed: ArmedFailpoint[] = [];
  const problems: string[] = [];
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const m = ENTRY.exec(entry);
    if (!m) {
      problems.push(`${JSON.stringify(entry)} is not name[@subject][:ms]`);
      continue;
    }
    const [, name, subject, ms] = m;
    if (!isFailpointName(name)) {
      problems.push(`unknown failpoint ${JSON.stringify(name)} (known: ${Object.keys(FAILPOINTS).join(', ')})`);
    } else if (FAILPOINTS[name].action === 'crash' && ms !== undefined) {
      problems.push(`${name} is a crash point: it takes no duration`);
    } else if (FAILPOINTS[name].action === 'pause' && ms === undefined) {
      problems.push(`${name} is a pause point: arm it as ${name}:<ms>`);
    } else {
      armed.push({ name, ...(subject !== undefined ? { subject } : {}), ...(ms !== undefined ? { pauseMs: Number(ms) } : {}) });
    }
  }
  if (problems.length > 0) throw new FailpointSyntaxError(problems);
  return armed;
}

/** The entry that applies at `name` reached for `subject`: one naming that subject wins over one for every subject. */
export function armedEntry(armed: readonly ArmedFailpoint[], name: FailpointName, subject?: string): ArmedFailpoint | undefined {
  const forName = armed.filter((a) => a.name === name);
  return forName.find((a) => a.subject !== undefined && a.subject === subject) ?? forName.find((a) => a.subject === undefined);
}
