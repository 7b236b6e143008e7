import { posix } from 'node:path';
/**
 * Zod building blocks with messages written for people: each says what was expected and what was
 * found ("expected a size like 1Gi, got -5"). Schemas for the kinds are assembled from these.
 */
import { validateDetailed } from 'node-cron';
import { z } from 'zod';
import { parseBytes, parseCpu, QuantityError } from '../domain';
import { csiDriverNameProblem, dnsLabelProblem, nodeIdProblem } from './names';
import { describeValue } from './describe-value';

type Problem = (value: string) => string | undefined;

/** A string checked by a `problem` function that explains what is wrong with it. */
function checkedString(problem: Problem): z.ZodString {
  return z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });
}

export const dnsName = (): z.ZodString => checkedString(dnsLabelProblem);
export const csiDriverName = (): z.ZodString => checkedString(csiDriverNameProblem);
export const nodeId = (): z.ZodString => checkedString(nodeIdProblem);

export const nonEmptyString = (): z.ZodString => checkedString((v) => (v.trim().length === 0 ? 'must not be empty' : undefined));

/**
 * A list of at most `max` items, `what` naming them in the refusal ("volumes"). The length is checked
 * before any item is validated, so an oversized list costs nothing to refuse.
 */
export function boundedList<T extends z.ZodType>(list: z.ZodArray<T>, max: number, what: string): z.ZodType<z.output<z.ZodArray<T>>, unknown> {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      if (Array.isArray(value) && value.length > max)
        ctx.addIssue({ code: 'custom', message: `at most ${max} ${what} allowed, got ${value.length}`, abort: true });
    })
    .pipe(list);
}

/** A mapping of at most `max` entries, checked before any entry is validated. */
export function boundedRecord<T extends z.ZodType>(record: T, max: number, what: string): z.ZodType<z.output<T>, unknown> {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
      const count = Object.keys(value).length;
      if (count > max) ctx.addIssue({ code: 'custom', message: `at most ${max} ${what} allowed, got ${count}`, abort: true });
    })
    .pipe(record);
}

/** A string of at most `max` characters. */
export function boundedString(max: number): z.ZodString {
  return z.string().max(max, { error: (iss) => `at most ${max} characters allowed, got ${String(iss.input).length}` });
}

/** A whole number ≥ `min`. */
export function wholeNumber(min: number, max?: { value: number; what: string }): z.ZodNumber {
  const expected = max ? `expected a whole number from ${min} to ${max.value} (${max.what})` : `expected a whole number ≥ ${min}`;
  return z.number({ error: (iss) => `${expected}, got ${describeValue(iss.input)}` }).superRefine((value, ctx) => {
    if (!Number.isSafeInteger(value) || value < min || (max !== undefined && value > max.value)) {
      ctx.addIssue({ code: 'custom', message: `${expected}, got ${describeValue(value)}` });
    }
  });
}

/** A string, number or boolean, kept as its string form (CSI parameters and env values are strings). */
export function scalarString(): z.ZodType<string> {
  return z
    .custom<string | number | boolean>((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean', {
      error: (iss) => (iss.input === undefined ? 'is required' : `expected a string, number or boolean, got ${describeValue(iss.input)}`),
    })
    .transform((v) => String(v));
}

const NUMBER_OR_STRING = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';

/**
 * A quantity converted by a core/domain parser. `min` is exclusive when `positive`: a claim of 0
 * bytes or a task with 0 memory is refused, because nothing could be reserved for it.
 */
function quantity(example: string, largest: string, parse: (input: string | number) => number, positive: boolean): z.ZodType<number> {
  return z
    .custom<string | number>(NUMBER_OR_STRING, {
      error: (iss) => (iss.input === undefined ? `is required (${example})` : `${expectedLike(example)}, got ${describeValue(iss.input)}`),
    })
    .transform((input, ctx) => {
      let value: number;
      try {
        value = parse(input);
      } catch (error) {
        // The domain parser's own message repeats the field; ours names the path separately. A value
        // of the right form that is too large says so with the bound, not that the form is wrong.
        const problem = error instanceof QuantityError ? error.problem : '';
        const message = problem.startsWith('is too large')
          ? `${describeValue(input)} is too large: at most ${largest}`
          : `${expectedLike(example)}, got ${describeValue(input)}`;
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      if (!Number.isSafeInteger(value)) {
        ctx.addIssue({ code: 'custom', message: `${describeValue(input)} is too large: at most ${largest}` });
        return z.NEVER;
      }
      if (positive && value <= 0) {
        ctx.addIssue({ code: 'custom', message: `${expectedLike(example)}, got ${describeValue(input)} (must be greater than 0)` });
        return z.NEVER;
      }
      return value;
    });
}

function expectedLike(example: string): string {
  return `expected ${example}`;
}

/** Storage or memory size: "1Gi", "256Mi", "500M" or a number of bytes. */
export const size = (): z.ZodType<number> => quantity('a size like 1Gi', '8Pi', (v) => parseBytes(v), true);
/** CPU: cores (0.5, 2) or millicores ("500m"). */
export const cpu = (): z.ZodType<number> => quantity('a CPU amount like 0.5 or 500m', `${Number.MAX_SAFE_INTEGER}m`, (v) => parseCpu(v), true);

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** "7d", "72h", "1h30m", "45s" → seconds; undefined when it is not such a duration or is zero. */
export function parseDurationSeconds(input: string): number | undefined {
  const match = DURATION.exec(input.trim());
  if (!match) return undefined;
  const [d, h, m, s] = match.slice(1).map((x) => Number(x ?? 0));
  const seconds = d! * 86400 + h! * 3600 + m! * 60 + s!;
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** A duration like "30d", "12h", "1h30m" → seconds. */
export function duration(): z.ZodType<number> {
  return z
    .custom<string>((v) => typeof v === 'string', {
      error: (iss) => `expected a duration like 30d, 12h or 1h30m, got ${describeValue(iss.input)}`,
    })
    .transform((input, ctx) => {
      const seconds = parseDurationSeconds(input);
      if (seconds === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a duration like 30d, 12h or 1h30m, got ${describeValue(input)}` });
        return z.NEVER;
      }
      return seconds;
    });
}

/** A duration between `min` and `max` seconds, both inclusive, e.g. a hook's timeout. */
export function boundedDuration(min: number, max: number): z.ZodType<number> {
  const range = `from ${formatSeconds(min)} to ${formatSeconds(max)}`;
  return z
    .custom<string>((v) => typeof v === 'string', {
      error: (iss) => `expected a duration like 30s, 5m or 1h (${range}), got ${describeValue(iss.input)}`,
    })
    .transform((input, ctx) => {
      const seconds = parseDurationSeconds(input);
      if (seconds === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 5m or 1h (${range}), got ${describeValue(input)}` });
        return z.NEVER;
      }
      if (seconds < min || seconds > max) {
        ctx.addIssue({ code: 'custom', message: `expected a duration ${range}, got ${describeValue(input)}` });
        return z.NEVER;
      }
      return seconds;
    });
}

/** 3600 → "1h", 90 → "90s": the bounds as people write them. */
function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?)*$/;

/**
 * Why a cron expression cannot be run, or undefined: 5 fields, or 6 with seconds first (node-cron's
 * format, which the server's scheduler runs), each value in range.
 */
export function cronProblem(value: string): string | undefined {
  const fields = value.trim().split(/\s+/);
  if (!((fields.length === 5 || fields.length === 6) && fields.every((f) => CRON_FIELD.test(f)))) {
    return `expected a cron expression like "0 2 * * *" (minute hour day month weekday), got ${describeValue(value)}`;
  }
  const detail = validateDetailed(value.trim());
  if (detail.valid) return undefined;
  const errors = detail.errors.map((e) => (e.value !== undefined ? `${e.field} ${JSON.stringify(e.value)} is out of range` : `${e.field} is invalid`));
  return `invalid cron expression ${describeValue(value)}: ${errors.join('; ') || 'not accepted by the scheduler'}`;
}

export function cronSchedule(): z.ZodString {
  return checkedString(cronProblem);
}

const ENDPOINT = /^(unix:\/\/\/.+|tcp:\/\/[^/\s]+:\d+)$/;

export function endpoint(): z.ZodString {
  return checkedString((value) => (ENDPOINT.test(value) ? undefined : `expected "unix:///path/to/csi.sock" or "tcp://host:port", got ${describeValue(value)}`));
}

/** Where a volume appears in a task: an absolute, normalised path other than `/` (the kind of volume decides the rest). */
export function mountPath(): z.ZodString {
  return checkedString(pathProblem);
}

function pathProblem(value: string): string | undefined {
  if (!value.startsWith('/')) return `expected an absolute path like /data, got ${describeValue(value)}`;
  const normal = posix.normalize(value);
  if (value.split('/').includes('..') || (normal !== value && `${normal}/` !== value))
    return `expected a normalised path (no "..", "." or "//"), got ${describeValue(value)}${normal !== '/' ? `; did you mean ${normal}?` : ''}`;
  if (normal === '/') return 'must not be / (a volume would cover the whole filesystem of the task)';
  return undefined;
}

/** Kernel filesystems the runtime mounts in a task (Docker and Kubernetes refuse volumes over them too). */
const SYSTEM_DIRS = ['/proc', '/sys', '/dev'];

/**
 * A filesystem volume must not cover /proc, /sys or /dev or sit under them; a block volume is a
 * device node, so it belongs under /dev (like Kubernetes' devicePath) but not on /dev itself, /proc or /sys.
 */
export function mountPathPlacementProblem(value: string, volumeMode: 'filesystem' | 'block'): string | undefined {
  const normal = posix.normalize(value);
  const covered = SYSTEM_DIRS.find((d) => normal === d || normal.startsWith(`${d}/`));
  if (!covered || (volumeMode === 'block' && covered === '/dev' && normal !== '/dev')) return undefined;
  return `must not be ${covered} or under it (the runtime mounts ${covered} there${covered === '/dev' ? '; a block volume may be a device path like /dev/xvdb' : ''}), got ${describeValue(value)}`;
}
