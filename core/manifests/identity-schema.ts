/** `spec.user`, `spec.fsGroup` and a volume's `owner` of an App (core/domain/user-ref.ts). */
import { z } from 'zod';
import { MAX_ID, parseId, parseOwner, parseUserRef } from '../domain';
import { describeValue } from './describe-value';

/** A number written bare in YAML (user: 999) is taken as the string it looks like. */
function idText(input: unknown): string | undefined {
  if (typeof input === 'string') return input;
  if (typeof input === 'number' && Number.isSafeInteger(input)) return String(input);
  return undefined;
}

/** "name" or "uid[:gid]". */
export const userField = z.unknown().transform((input, ctx): string => {
  const text = idText(input);
  const ref = text === undefined ? 'expected a user name or uid[:gid]' : parseUserRef(text);
  if (typeof ref === 'string') {
    ctx.addIssue({ code: 'custom', message: `${ref}, got ${describeValue(input)}` });
    return z.NEVER;
  }
  return text as string;
});

/** A gid, 0 to 2^31 - 1. */
export const fsGroupField = z.unknown().transform((input, ctx): number => {
  const text = idText(input);
  const gid = text === undefined ? undefined : parseId(text);
  if (gid === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a numeric gid from 0 to ${MAX_ID}, got ${describeValue(input)}` });
    return z.NEVER;
  }
  return gid;
});

/** Numeric "uid[:gid]", kept as written. */
export const ownerField = z.unknown().transform((input, ctx): string => {
  const text = idText(input);
  const owner = text === undefined ? 'expected numeric uid[:gid] like "999:999"' : parseOwner(text);
  if (typeof owner === 'string') {
    ctx.addIssue({ code: 'custom', message: `${owner}, got ${describeValue(input)}` });
    return z.NEVER;
  }
  return text as string;
});
