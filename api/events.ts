import type { EventRecord } from '../server/store/records';
import { BLOCKING_QUERY, type Items } from './fields';
import { route } from './schema';

export const listEvents = route<Items<EventRecord>>()({
  method: 'GET',
  url: '/v1/events',
  summary: 'the latest 200 events',
  schema: { querystring: BLOCKING_QUERY },
});
