import { type AppSpec, MAX_INSTANCES } from '../core/manifests';
import type { AppRecord, ClaimRecord, EventRecord, TaskRecord, VolumeRecord } from '../server/store/records';
import { BLOCKING_QUERY, byName, type Items, type Message, NO_QUERY } from './fields';
import { route } from './schema';

export interface AppSummary {
  name: string;
  instances: number;
  running: number;
  generation: number;
  /** stalled: the rollout to this generation passed its progress deadline (AppRecord.rolloutStalled says why). */
  state: 'deleting' | 'running' | 'progressing' | 'stalled';
  spec: AppSpec;
}
export type AppDetail = AppSummary & { createdAt: string };
/** An app with its tasks (and why pending ones are pending), claims, volumes and latest events. */
export interface AppDescription {
  app: AppRecord;
  tasks: TaskRecord[];
  claims: ClaimRecord[];
  volumes: VolumeRecord[];
  events: EventRecord[];
}

export const listApps = route<Items<AppSummary>>()({
  method: 'GET',
  url: '/v1/apps',
  summary: 'apps with instances running and state',
  schema: { querystring: BLOCKING_QUERY },
});
export const getApp = route<AppDetail>()({ method: 'GET', url: '/v1/apps/:name', summary: 'one app', schema: { params: byName, querystring: NO_QUERY } });
export const describeApp = route<AppDescription>()({
  method: 'GET',
  url: '/v1/apps/:name/describe',
  summary: 'an app with its tasks, claims, volumes and events',
  schema: { params: byName, querystring: NO_QUERY },
});
export const deleteApp = route<Message>()({
  method: 'DELETE',
  url: '/v1/apps/:name',
  summary: 'delete an app (volumes per the reclaim policy)',
  schema: { params: byName, querystring: NO_QUERY },
});
export const scaleApp = route<Message>()({
  method: 'POST',
  url: '/v1/apps/:name/scale',
  summary: 'change the number of instances of an app',
  schema: {
    params: byName,
    querystring: NO_QUERY,
    body: {
      type: 'object',
      required: ['instances'],
      additionalProperties: false,
      properties: { instances: { type: 'integer', minimum: 0, maximum: MAX_INSTANCES } },
    },
  },
});
