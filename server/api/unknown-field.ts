import type { FastifySchema } from 'fastify';

interface AjvError {
  keyword: string;
  instancePath: string;
  params: { additionalProperty?: string };
}
type Part = 'body' | 'querystring' | 'params' | 'headers';

const PART_NAME: Record<Part, string> = { body: 'body', querystring: 'query string', params: 'path', headers: 'headers' };

/**
 * The message for a field a route does not know (its schema says additionalProperties: false): it names
 * the field and, at the top level, the ones the route takes — so `dryrun` for `dryRun` is obvious.
 * Undefined when the validation error is about something else.
 */
export function unknownFieldMessage(validation: readonly AjvError[], part: string | undefined, schema: FastifySchema | undefined): string | undefined {
  const error = validation.find((e) => e.keyword === 'additionalProperties' && e.params.additionalProperty !== undefined);
  if (!error) return undefined;
  const where = PART_NAME[part as Part] ?? part ?? 'request';
  const at = error.instancePath ? ` at ${error.instancePath.slice(1).replaceAll('/', '.')}` : '';
  let expected = '';
  if (!at) {
    const properties = (schema?.[part as keyof FastifySchema] as { properties?: Record<string, unknown> } | undefined)?.properties;
    const known = Object.keys(properties ?? {});
    expected =
      known.length > 0 ? `; expected ${known.join(', ')}` : `; this route takes no ${where === 'query string' ? 'query string' : `fields in its ${where}`}`;
  }
  return `unknown field ${JSON.stringify(error.params.additionalProperty)} in ${where}${at}${expected}`;
}
