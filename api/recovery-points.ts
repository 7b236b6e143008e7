import type { RecoveryPointRecord } from '../server/store/records';
import { BLOCKING_QUERY, byId, byName, type Items, type Message, NO_QUERY } from './fields';
import { route } from './schema';

export type { RecoveryPointRecord };

/** A recovery point as listed: the record and how many volumes it holds. */
export type RecoveryPointSummary = RecoveryPointRecord & { volumes: number };

export const listRecoveryPoints = route<Items<RecoveryPointSummary>>()({
  method: 'GET',
  url: '/v1/snapshots',
  summary: 'recovery points, oldest first',
  schema: { querystring: BLOCKING_QUERY },
});
export const createRecoveryPoint = route<RecoveryPointRecord>()({
  method: 'POST',
  url: '/v1/apps/:name/snapshots',
  summary: 'take a recovery point of an app (answers when it is ready or failed)',
  // Takes no fields; an absent body is fine, fields in one are refused.
  schema: { params: byName, querystring: NO_QUERY, body: { type: 'object', nullable: true, additionalProperties: false, properties: {} } },
});
export const getRecoveryPoint = route<RecoveryPointRecord>()({
  method: 'GET',
  url: '/v1/snapshots/:id',
  summary: 'one recovery point',
  schema: { params: byId, querystring: NO_QUERY },
});
export const deleteRecoveryPoint = route<Message>()({
  method: 'DELETE',
  url: '/v1/snapshots/:id',
  summary: 'delete a recovery point and its CSI snapshots',
  schema: { params: byId, querystring: NO_QUERY },
});
