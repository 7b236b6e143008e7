import type { TaskRecord } from '../server/store/records';
import { BLOCKING_QUERY, byId, type Items, NO_QUERY } from './fields';
import { route } from './schema';

export const listTasks = route<Items<TaskRecord>>()({
  method: 'GET',
  url: '/v1/tasks',
  summary: 'tasks: where each instance runs and in what state',
  schema: { querystring: BLOCKING_QUERY },
});
/**
 * `follow=true` answers text/plain instead of JSON: the output selected, then what the task writes,
 * as it writes it, until the task stops or the client goes away.
 */
export const taskLogs = route<{ logs: string }>()({
  method: 'GET',
  url: '/v1/tasks/:id/logs',
  summary: 'the output of a task, read from its node (follow=true: streamed as text until the task stops)',
  schema: {
    params: byId,
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: {
        tail: { type: 'integer', minimum: 1 },
        /** RFC 3339: only what was written since then. */
        since: { type: 'string', minLength: 1, maxLength: 64 },
        follow: { type: 'boolean' },
      },
    },
  },
});

/**
 * A command run in a running task (`berth exec`). The request body is NDJSON (application/x-ndjson),
 * streamed: first `{"command": [...], "tty"?, "stdin"?, "cols"?, "rows"?}`, then `{"stdin": base64}`,
 * `{"stdinClosed": true}` and `{"cols", "rows"}` (a resized terminal) as they happen. The answer is
 * NDJSON too, streamed: `{"stdout": base64}`, `{"stderr": base64}`, and last `{"exitCode": n}` — or
 * `{"error": {code, message}}` when the session broke after it began. A task that does not exist (404)
 * or does not run (409) is refused before anything runs.
 */
export const execInTask = route<never>()({
  method: 'POST',
  url: '/v1/tasks/:id/exec',
  summary: 'run a command in a running task (NDJSON frames both ways, streamed)',
  schema: { params: byId, querystring: NO_QUERY },
});
