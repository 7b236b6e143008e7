import type { ScheduleRecord } from '../server/store/records';
import { byName, type Items, type Message, NAME, NO_QUERY, REPOSITORY } from './fields';
import { route } from './schema';

export type { ScheduleRecord };
export type ScheduleCreated = ScheduleRecord & { action: 'created' | 'updated' | 'unchanged' };

/** Answers 201 when the schedule was created, 200 when it replaced one. */
export const createSchedule = route<ScheduleCreated>()({
  method: 'POST',
  url: '/v1/schedules',
  status: 201,
  summary: 'create or replace a backup schedule',
  schema: {
    querystring: NO_QUERY,
    body: {
      type: 'object',
      required: ['name', 'app', 'cron'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 253 },
        app: NAME,
        cron: { type: 'string', minLength: 1, maxLength: 200 },
        repository: REPOSITORY,
        keep: { type: 'integer', minimum: 1, maximum: 100000 },
        ttl: { type: 'string', minLength: 1, maxLength: 32 },
      },
    },
  },
});
export const listSchedules = route<Items<ScheduleRecord>>()({
  method: 'GET',
  url: '/v1/schedules',
  summary: 'backup schedules',
  schema: { querystring: NO_QUERY },
});
export const getSchedule = route<ScheduleRecord>()({
  method: 'GET',
  url: '/v1/schedules/:name',
  summary: 'one backup schedule',
  schema: { params: byName, querystring: NO_QUERY },
});
export const deleteSchedule = route<Message>()({
  method: 'DELETE',
  url: '/v1/schedules/:name',
  summary: 'delete a schedule (its backups stay)',
  schema: { params: byName, querystring: NO_QUERY },
});
