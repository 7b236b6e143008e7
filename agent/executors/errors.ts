/**
 * Errors an executor throws. Each has a catalogue `code` (lib/errors) and the facts behind it in
 * `context`, so the agent can report them to the server verbatim (they end up in `berth describe`)
 * without parsing.
 */
import { BerthError, ErrorContext } from '../../core/domain/errors';

/** The task spec cannot be run as given (bad id, relative path, negative limit…). */
export class InvalidTaskSpecError extends BerthError {
  constructor(
    readonly field: string,
    readonly problem: string,
    context: ErrorContext = {},
  ) {
    super('invalid_argument', `task spec ${field}: ${problem}`, { context: { field, problem, ...context } });
  }
}

/** The image is not present on this node; Berth never pulls implicitly. */
export class ImageNotFoundError extends BerthError {
  constructor(
    readonly image: string,
    readonly taskId: string,
  ) {
    super('failed_precondition', `image ${image} not found on this node; build/import it first`, { context: { image, taskId } });
  }
}

/** The runtime itself cannot be reached (dockerd down, socket missing). */
export class RuntimeUnavailableError extends BerthError {
  constructor(
    readonly runtime: string,
    readonly detail: string,
    context: ErrorContext = {},
  ) {
    super('unavailable', `${runtime} runtime unavailable: ${detail}`, { context: { runtime, detail, ...context } });
  }
}

/** The runtime accepted the task but could not start it (e.g. executable not found). */
export class TaskStartError extends BerthError {
  constructor(
    readonly taskId: string,
    readonly detail: string,
  ) {
    super('failed_precondition', `task ${taskId} could not be started: ${detail}`, { context: { taskId, detail } });
  }
}

export class TaskNotFoundError extends BerthError {
  constructor(readonly taskId: string) {
    super('not_found', `task ${taskId} does not exist on this node`, { context: { taskId } });
  }
}

export class TaskNotRunningError extends BerthError {
  constructor(
    readonly taskId: string,
    readonly state: string,
  ) {
    super('failed_precondition', `task ${taskId} is not running (state: ${state})`, { context: { taskId, state } });
  }
}

/** A container with the task's name exists but was not created by Berth: never touch it. */
export class ForeignContainerError extends BerthError {
  constructor(
    readonly taskId: string,
    readonly containerName: string,
  ) {
    super('already_exists', `container ${containerName} exists but has no berth.task label; refusing to adopt or remove it`, {
      context: { taskId, containerName },
    });
  }
}

/** Any other runtime failure, with the operation that failed. */
export class RuntimeError extends BerthError {
  constructor(
    readonly operation: string,
    readonly taskId: string,
    readonly detail: string,
  ) {
    super('internal', `${operation} of task ${taskId} failed: ${detail}`, { context: { operation, taskId, detail } });
  }
}
