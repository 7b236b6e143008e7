import type { RepositoryView } from '../server/data-protection/repositories';
import { type Items, type Message, NO_QUERY } from './fields';
import { route } from './schema';

export type { RepositoryView };

/** Repository names are DNS labels (they become part of restored repository names and events). */
const byRepositoryName = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' } },
} as const;

/** Never answers the passphrase. */
export const addRepository = route<RepositoryView>()({
  method: 'POST',
  url: '/v1/repositories',
  summary: 'add a backup repository (init: create it first)',
  schema: {
    querystring: NO_QUERY,
    body: {
      type: 'object',
      required: ['name', 'location', 'passphrase'],
      additionalProperties: false,
      properties: {
        name: byRepositoryName.properties.name,
        location: { type: 'string', minLength: 1, maxLength: 4096 },
        passphrase: { type: 'string', minLength: 1, maxLength: 4096 },
        init: { type: 'boolean' },
      },
    },
  },
});
export const listRepositories = route<Items<RepositoryView>>()({
  method: 'GET',
  url: '/v1/repositories',
  summary: 'backup repositories',
  schema: { querystring: NO_QUERY },
});
export const getRepository = route<RepositoryView>()({
  method: 'GET',
  url: '/v1/repositories/:name',
  summary: 'one backup repository',
  schema: { params: byRepositoryName, querystring: NO_QUERY },
});
export const removeRepository = route<Message>()({
  method: 'DELETE',
  url: '/v1/repositories/:name',
  summary: 'forget a repository (its data stays)',
  schema: { params: byRepositoryName, querystring: NO_QUERY },
});
