import type { ClaimRecord } from '../server/store/records';
import { BLOCKING_QUERY, type Items } from './fields';
import { route } from './schema';

export const listClaims = route<Items<ClaimRecord>>()({
  method: 'GET',
  url: '/v1/claims',
  summary: 'volume claims of app instances',
  schema: { querystring: BLOCKING_QUERY },
});
