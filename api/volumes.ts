import type { VolumeRecord } from '../server/store/records';
import { BLOCKING_QUERY, type Items } from './fields';
import { route } from './schema';

export const listVolumes = route<Items<VolumeRecord>>()({ method: 'GET', url: '/v1/volumes', summary: 'volumes', schema: { querystring: BLOCKING_QUERY } });
