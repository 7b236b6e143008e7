import { NO_QUERY } from './fields';
import { route } from './schema';

export interface Applied {
  kind: string;
  name: string;
  action: 'created' | 'updated' | 'unchanged';
}
export interface ApplyReply {
  applied: Applied[];
}

/**
 * Only the envelope is checked here: the manifest text inside is parsed and validated by
 * core/manifests, whose errors name the document, object and field path.
 */
export const apply = route<ApplyReply>()({
  method: 'POST',
  url: '/v1/apply',
  summary: 'create or update apps, storage classes, plugins and secrets from a YAML/JSON manifest (all or nothing)',
  schema: {
    querystring: NO_QUERY,
    body: {
      type: 'object',
      required: ['manifest'],
      additionalProperties: false,
      properties: { manifest: { type: 'string', minLength: 1 }, dryRun: { type: 'boolean' } },
    },
  },
});
