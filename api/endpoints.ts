import type { Endpoint } from '../core/domain';
import { BLOCKING_QUERY, type Items, NAME } from './fields';
import { route } from './schema';

export type { Endpoint, EndpointPort } from '../core/domain';

/** The blocking query of lists, and `app` to list one app's endpoints only. */
export const ENDPOINTS_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { ...BLOCKING_QUERY.properties, app: NAME },
} as const;

export const listEndpoints = route<Items<Endpoint>>()({
  method: 'GET',
  url: '/v1/endpoints',
  summary: "where each running task is reached: its node's address and host ports (and container address), and whether it is ready",
  schema: { querystring: ENDPOINTS_QUERY },
});
