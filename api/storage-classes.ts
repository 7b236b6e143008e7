import type { StorageClassSpec } from '../core/manifests';
import { BLOCKING_QUERY, byName, type Items, type Message, NO_QUERY } from './fields';
import { route } from './schema';

export type StorageClassView = { name: string } & StorageClassSpec;

export const listStorageClasses = route<Items<StorageClassView>>()({
  method: 'GET',
  url: '/v1/storageclasses',
  summary: 'storage classes',
  schema: { querystring: BLOCKING_QUERY },
});
export const deleteStorageClass = route<Message>()({
  method: 'DELETE',
  url: '/v1/storageclasses/:name',
  summary: 'delete a storage class no claim uses',
  schema: { params: byName, querystring: NO_QUERY },
});
