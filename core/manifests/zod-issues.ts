/**
 * Turns zod's issues into Berth's: readable messages written here in one place (expected what,
 * got what), one issue per unknown field with the field in its path and a "did you mean" hint.
 */
import type { z } from 'zod';
import { closest, describeType, describeValue } from './describe-value';
import type { PathSegment } from './paths';

export interface RawIssue {
  readonly segments: readonly PathSegment[];
  readonly message: string;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** zod reports several unknown keys of one object as one issue; we split it with this separator. */
const KEY_SEPARATOR = '\u0000';

/**
 * The per-parse error map. `redact` hides input values (Secret documents): only their type is shown.
 * Messages set by our own schemas (custom issues) pass through untouched.
 */
export function errorMap(redact: boolean): z.core.$ZodErrorMap {
  const show = redact ? describeType : describeValue;
  return (iss) => {
    switch (iss.code) {
      case 'invalid_type': {
        const expected = EXPECTED[iss.expected] ?? iss.expected;
        return iss.input === undefined ? `is required (expected ${expected})` : `expected ${expected}, got ${show(iss.input)}`;
      }
      case 'invalid_value': {
        const values = iss.values.map((v) => String(v));
        const hint = typeof iss.input === 'string' && !redact ? closest(iss.input, values) : undefined;
        const got = iss.input === undefined ? 'nothing' : show(iss.input);
        return `expected one of ${values.join(', ')}, got ${got}${hint ? ` (did you mean ${hint}?)` : ''}`;
      }
      case 'unrecognized_keys': {
        const known = knownKeys(iss.inst);
        return iss.keys.map((key) => unknownFieldMessage(key, known)).join(KEY_SEPARATOR);
      }
      case 'too_small':
        return iss.origin === 'string' && iss.minimum === 1 ? 'must not be empty' : undefined;
      default:
        return undefined;
    }
  };
}

function unknownFieldMessage(key: string, known: readonly string[]): string {
  const hint = closest(key, known);
  if (hint) return `unknown field (did you mean ${hint}?)`;
  return known.length > 0 ? `unknown field; expected one of ${known.join(', ')}` : 'unknown field';
}

/** The field names a strict object schema accepts, read from the schema that raised the issue. */
function knownKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def?.shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : [];
}

export function toRawIssues(error: z.ZodError): RawIssue[] {
  const out: RawIssue[] = [];
  for (const issue of error.issues) {
    const segments = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const messages = issue.message.split(KEY_SEPARATOR);
      for (const [i, key] of issue.keys.entries()) out.push({ segments: [...segments, key], message: messages[i] ?? 'unknown field' });
    } else {
      out.push({ segments, message: issue.message });
    }
  }
  return out;
}
