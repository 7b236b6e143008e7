/**
 * Schema of an App's `hooks`: each hook is either a plain command list (the default policy) or
 * `{ command, timeout, onFailure }`. Parsed by hand rather than as a zod union, whose failure would be
 * one "invalid input" for both shapes: the shape is chosen from the input, and only its issues reported.
 */
import { z } from 'zod';
import { describeValue } from './describe-value';
import { boundedDuration, boundedList, boundedString } from './fields';
import { MAX_COMMAND_ARGS, MAX_STRING_LENGTH } from './limits';
import { DEFAULT_HOOK_POLICY, HOOK_ON_FAILURE, HOOK_TIMEOUT_SECONDS } from './types';
import type { HookPhase, HookPolicy, Hooks } from './types';
import { errorMap, toRawIssues } from './zod-issues';

const commandSchema = boundedList(z.array(boundedString(MAX_STRING_LENGTH)), MAX_COMMAND_ARGS, 'arguments');

const hookObjectSchema = z.strictObject({
  command: boundedList(z.array(boundedString(MAX_STRING_LENGTH)).min(1, { error: 'expected at least the program to run' }), MAX_COMMAND_ARGS, 'arguments'),
  timeout: boundedDuration(HOOK_TIMEOUT_SECONDS.min, HOOK_TIMEOUT_SECONDS.max).optional(),
  onFailure: z.enum(HOOK_ON_FAILURE as [string, ...string[]]).optional(),
});

interface ParsedHook {
  command: readonly string[];
  policy?: HookPolicy;
}

function hookSchema(phase: HookPhase): z.ZodType<ParsedHook, unknown> {
  return z.unknown().transform((input, ctx): ParsedHook => {
    const isList = Array.isArray(input);
    if (!isList && (typeof input !== 'object' || input === null)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a command list like ["sh", "-c", "sync"] or { command, timeout, onFailure }, got ${describeValue(input)}`,
      });
      return z.NEVER;
    }
    const parsed = (isList ? commandSchema.transform((command) => ({ command })) : hookObjectSchema).safeParse(input, { error: errorMap(false) });
    if (!parsed.success) {
      for (const issue of toRawIssues(parsed.error)) ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.segments] });
      return z.NEVER;
    }
    const hook = parsed.data as { command: string[]; timeout?: number; onFailure?: string };
    const defaults = DEFAULT_HOOK_POLICY[phase];
    const policy: HookPolicy = {
      timeoutSeconds: hook.timeout ?? defaults.timeoutSeconds,
      onFailure: (hook.onFailure ?? defaults.onFailure) as HookPolicy['onFailure'],
    };
    // Only a policy that differs is kept: the same hook written either way is the same spec.
    const isDefault = policy.timeoutSeconds === defaults.timeoutSeconds && policy.onFailure === defaults.onFailure;
    return isDefault ? { command: hook.command } : { command: hook.command, policy };
  });
}

export const hooksSchema = z
  .strictObject({ preSnapshot: hookSchema('preSnapshot').optional(), postSnapshot: hookSchema('postSnapshot').optional() })
  .default({})
  .transform(
    (h): Hooks => ({
      preSnapshot: h.preSnapshot?.command ?? [],
      postSnapshot: h.postSnapshot?.command ?? [],
      ...(h.preSnapshot?.policy ? { preSnapshotPolicy: h.preSnapshot.policy } : {}),
      ...(h.postSnapshot?.policy ? { postSnapshotPolicy: h.postSnapshot.policy } : {}),
    }),
  );
