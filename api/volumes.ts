import type { VolumeRecord } from '../server/store/records';
import { BLOCKING_QUERY, byId, type Items, type Message, NO_QUERY } from './fields';
import { route } from './schema';

export const listVolumes = route<Items<VolumeRecord>>()({ method: 'GET', url: '/v1/volumes', summary: 'volumes', schema: { querystring: BLOCKING_QUERY } });
export const deleteVolume = route<Message>()({
  method: 'DELETE',
  url: '/v1/volumes/:id',
  summary: 'delete a released volume (kept by reclaim policy Retain); a volume bound to a claim is refused',
  schema: { params: byId, querystring: NO_QUERY },
});
