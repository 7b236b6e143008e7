import type { TaskRecord } from '../server/store/records';
import { BLOCKING_QUERY, byId, type Items } from './fields';
import { route } from './schema';

export const listTasks = route<Items<TaskRecord>>()({
  method: 'GET',
  url: '/v1/tasks',
  summary: 'tasks: where each instance runs and in what state',
  schema: { querystring: BLOCKING_QUERY },
});
export const taskLogs = route<{ logs: string }>()({
  method: 'GET',
  url: '/v1/tasks/:id/logs',
  summary: 'the output of a task, read from its node',
  schema: { params: byId, querystring: { type: 'object', additionalProperties: false, properties: { tail: { type: 'integer', minimum: 1 } } } },
});
