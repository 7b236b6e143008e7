/**
 * Errors an executor throws. Each has a stable `code` and the facts behind it in `context`, so the
 * agent can report them to the server verbatim (they end up in `berth describe`) without parsing.
 */
import { BerthError, ErrorContext } from '../../core/domain/errors';

/** The task spec cannot be run as given (bad id, relative path, negative limit…). */
export class InvalidTaskSpecError extends BerthError {
  readonly code = 'invalid-task-spec';
  constructor(readonly field: string, readonly problem: string, context: ErrorContext = {}) {
    super(`task spec ${field}: ${problem}`, { field, problem, ...context });
  }
}

/** The image is not present on this node; Berth never pulls implicitly. */
export class ImageNotFoundError extends BerthError {
  readonly code = 'image-not-found';
  constructor(readonly image: string, readonly taskId: string) {
    super(`image ${image} not found on this node; build/import it first`, { image, taskId });
  }
}

/** The runtime itself cannot be reached (dockerd down, socket missing). */
export class RuntimeUnavailableError extends BerthError {
  readonly code = 'runtime-unavailable';
  constructor(readonly runtime: string, readonly detail: string, context: ErrorContext = {}) {
    super(`${runtime} runtime unavailable: ${detail}`, { runtime, detail, ...context });
  }
}

/** The runtime accepted the task but could not start it (e.g. executable not found). */
export class TaskStartError extends BerthError {
  readonly code = 'task-start-failed';
  constructor(readonly taskId: string, readonly detail: string) {
    super(`task ${taskId} could not be started: ${detail}`, { taskId, detail });
  }
}

export class TaskNotFoundError extends BerthError {
  readonly code = 'task-not-found';
  constructor(readonly taskId: string) {
    super(`task ${taskId} does not exist on this node`, { taskId });
  }
}

export class TaskNotRunningError extends BerthError {
  readonly code = 'task-not-running';
  constructor(readonly taskId: string, readonly state: string) {
    super(`task ${taskId} is not running (state: ${state})`, { taskId, state });
  }
}

/** A container with the task's name exists but was not created by Berth: never touch it. */
export class ForeignContainerError extends BerthError {
  readonly code = 'foreign-container';
  constructor(readonly taskId: string, readonly containerName: string) {
    super(`container ${containerName} exists but has no berth.task label; refusing to adopt or remove it`, { taskId, containerName });
  }
}

/** Any other runtime failure, with the operation that failed. */
export class RuntimeError extends BerthError {
  readonly code = 'runtime-error';
  constructor(readonly operation: string, readonly taskId: string, readonly detail: string) {
    super(`${operation} of task ${taskId} failed: ${detail}`, { operation, taskId, detail });
  }
}
