/**
 * The node service's calls for operators: following a task's output (FollowTaskLogs) and a command
 * run in a task (ExecSession). Both end when their caller goes away — nothing keeps running for a
 * client that is gone: a follow stops reading, a command is killed.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { grpcStatusOf } from '../lib/errors/grpc-status';
import type { ExecSessionInput__Output } from '../proto/berth/generated/berth/agent/v1/ExecSessionInput';
import type { ExecSessionOutput } from '../proto/berth/generated/berth/agent/v1/ExecSessionOutput';
import type { LogsRequest__Output } from '../proto/berth/generated/berth/agent/v1/LogsRequest';
import type { TaskLogChunk } from '../proto/berth/generated/berth/agent/v1/TaskLogChunk';
import type { ExecSession, Executor, LogOptions } from './executors/executor';

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

interface StatusError {
  code: grpc.status;
  details: string;
}

const statusOf = (error: unknown): StatusError => ({ code: grpcStatusOf(error), details: error instanceof Error ? error.message : String(error) });

/** A LogsRequest as executor options. */
export function logOptionsOf(request: LogsRequest__Output): LogOptions {
  const since = Number(request.sinceUnixMs);
  return { ...(request.tail > 0 ? { tail: request.tail } : {}), ...(since > 0 ? { sinceMs: since } : {}) };
}

/** Writes `message`, waiting while the stream's buffer is full (a slow reader slows the follow, never the agent's memory). */
function writeWithBackpressure<T>(call: grpc.ServerWritableStream<unknown, T> | grpc.ServerDuplexStream<unknown, T>, message: T): Promise<void> {
  if (call.write(message)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}

export function followTaskLogs(call: grpc.ServerWritableStream<LogsRequest__Output, TaskLogChunk>, executor: Executor): void {
  const { taskId } = call.request;
  if (!TASK_ID.test(taskId)) {
    call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: `invalid task id ${JSON.stringify(taskId)}` });
    return;
  }
  if (!executor.followLogs) {
    call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: `the ${executor.kind} runtime cannot follow logs` });
    return;
  }
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort());
  executor
    .followLogs(taskId, logOptionsOf(call.request), (data) => writeWithBackpressure(call, { data }), controller.signal)
    .then(
      () => {
        if (!controller.signal.aborted) call.end();
      },
      (error: unknown) => {
        if (!controller.signal.aborted) call.emit('error', statusOf(error));
      },
    );
}

export function execSession(call: grpc.ServerDuplexStream<ExecSessionInput__Output, ExecSessionOutput>, executor: Executor, log: Logger): void {
  let session: ExecSession | undefined;
  let ended = false;
  const finish = (error?: StatusError) => {
    if (ended) return;
    ended = true;
    if (error) call.emit('error', error);
    else call.end();
  };
  // The caller went away (or its half of the stream broke): the command goes too.
  call.on('cancelled', () => {
    ended = true;
    session?.kill();
  });
  call.on('error', () => session?.kill());
  const early: ExecSessionInput__Output[] = [];
  call.on('data', (input: ExecSessionInput__Output) => {
    if (!session) {
      if (input.start) void begin(input);
      else early.push(input);
      return;
    }
    apply(session, input);
  });
  let inputEnded = false;
  call.on('end', () => {
    inputEnded = true;
    session?.closeStdin();
  });
  const apply = (s: ExecSession, input: ExecSessionInput__Output) => {
    if (input.stdin.length > 0) s.write(input.stdin);
    if (input.cols > 0 && input.rows > 0) s.resize(input.cols, input.rows);
    if (input.stdinClosed) s.closeStdin();
  };
  const begin = async (input: ExecSessionInput__Output) => {
    const start = input.start!;
    if (!TASK_ID.test(start.taskId)) return finish({ code: grpc.status.INVALID_ARGUMENT, details: `invalid task id ${JSON.stringify(start.taskId)}` });
    if (start.command.length === 0) return finish({ code: grpc.status.INVALID_ARGUMENT, details: 'command is required' });
    if (!executor.startExec) return finish({ code: grpc.status.UNIMPLEMENTED, details: `the ${executor.kind} runtime cannot run commands for operators` });
    log.info({ taskId: start.taskId, command: start.command, tty: start.tty }, 'operator exec in task');
    try {
      session = await executor.startExec(start.taskId, start.command, {
        tty: start.tty,
        stdin: start.stdin,
        cols: start.cols || undefined,
        rows: start.rows || undefined,
        onStdout: (data) => void call.write({ stdout: data }),
        onStderr: (data) => void call.write({ stderr: data }),
      });
    } catch (error) {
      return finish(statusOf(error));
    }
    if (ended) {
      session.kill();
      return;
    }
    // An empty first answer: the command runs (the caller answers its own caller only now).
    call.write({});
    apply(session, input);
    for (const e of early.splice(0)) apply(session, e);
    if (inputEnded) session.closeStdin();
    session.exit.then(
      (exitCode) => {
        if (ended) return;
        call.write({ exited: true, exitCode });
        finish();
      },
      (error: unknown) => finish(statusOf(error)),
    );
  };
}
