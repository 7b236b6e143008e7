import { NO_QUERY } from './fields';
import { route } from './schema';

export const health = route<{ ok: boolean }>()({ method: 'GET', url: '/v1/health', summary: 'the server answers', schema: { querystring: NO_QUERY } });
/** This API's OpenAPI 3 document, generated from the route schemas. */
export const openApi = route<Record<string, unknown>>()({
  method: 'GET',
  url: '/v1/openapi.json',
  summary: 'this OpenAPI document',
  schema: { querystring: NO_QUERY },
});
