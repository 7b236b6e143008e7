import type { ClaimRecord } from '../server/store/records';
import { BLOCKING_QUERY, CLAIM_ID, type Items, type Message, NO_QUERY } from './fields';
import { route } from './schema';

export const listClaims = route<Items<ClaimRecord>>()({
  method: 'GET',
  url: '/v1/claims',
  summary: 'volume claims of app instances',
  schema: { querystring: BLOCKING_QUERY },
});
export const deleteClaim = route<Message>()({
  method: 'DELETE',
  url: '/v1/claims/:id',
  summary: 'let go of a claim kept after a scale-down (its volume goes per the reclaim policy); anything in use is refused',
  schema: { params: { type: 'object', required: ['id'], properties: { id: CLAIM_ID } }, querystring: NO_QUERY },
});
