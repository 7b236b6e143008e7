/**
 * POST /v1/tasks/:id/exec (api/tasks.ts): an operator's command in a running task, NDJSON frames
 * streamed both ways over one HTTP/1.1 exchange — the request body carries stdin and resizes while the
 * response carries the output. The exchange ends when the command exits; a client that goes away
 * cancels the agent's session, which kills the command.
 */
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { execInTask } from '../../../api';
import { invalidArgument } from '../../../lib/errors';
import { codeForGrpcStatus } from '../../../lib/errors/grpc-status';
import { ndjsonValues } from '../../../lib/streams/ndjson';
import type { ExecSessionOutput__Output } from '../../../proto/berth/generated/berth/agent/v1/ExecSessionOutput';
import type { ExecSessionStart } from '../../../proto/berth/generated/berth/agent/v1/ExecSessionStart';
import type { ApiServices } from '../services';
import type { OpenStreams } from '../open-streams';
import { serve } from '../serve';
import { runningTaskLink } from '../task-link';

const NDJSON = 'application/x-ndjson';
const MAX_ARGS = 1024;
const MAX_ARG_BYTES = 128 * 1024;

const isSize = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 10_000;

/** The first frame, checked like a schema would: known fields only, each of its type. */
export function parseExecStart(taskId: string, frame: unknown): ExecSessionStart {
  const refuse = (why: string) => invalidArgument(`the first frame must be {"command": [...], "tty"?, "stdin"?, "cols"?, "rows"?}: ${why}`);
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) throw refuse('not an object');
  const f = frame as Record<string, unknown>;
  const unknown = Object.keys(f).filter((k) => !['command', 'tty', 'stdin', 'cols', 'rows'].includes(k));
  if (unknown.length > 0) throw refuse(`unknown field ${unknown.join(', ')}`);
  const { command, tty = false, stdin = false, cols, rows } = f;
  if (!Array.isArray(command) || command.length === 0 || command.length > MAX_ARGS || !command.every((a) => typeof a === 'string' && a.length <= MAX_ARG_BYTES))
    throw refuse(`command must be 1 to ${MAX_ARGS} strings`);
  if (typeof tty !== 'boolean' || typeof stdin !== 'boolean') throw refuse('tty and stdin are true or false');
  if ((cols !== undefined && !isSize(cols)) || (rows !== undefined && !isSize(rows))) throw refuse('cols and rows are whole numbers from 1 to 10000');
  return { taskId, command: command as string[], tty, stdin, cols: (cols as number | undefined) ?? 0, rows: (rows as number | undefined) ?? 0 };
}

/** A later frame, as the agent's input. */
function inputOf(frame: unknown): { stdin?: Buffer; stdinClosed?: boolean; cols?: number; rows?: number } {
  const f = (typeof frame === 'object' && frame !== null ? frame : {}) as Record<string, unknown>;
  return {
    ...(typeof f.stdin === 'string' ? { stdin: Buffer.from(f.stdin, 'base64') } : {}),
    ...(f.stdinClosed === true ? { stdinClosed: true } : {}),
    ...(isSize(f.cols) && isSize(f.rows) ? { cols: f.cols, rows: f.rows } : {}),
  };
}

export function registerTaskExec(app: FastifyInstance, { ctx }: ApiServices, open: OpenStreams): void {
  // The body stays a stream: the handler reads frames as the client sends them.
  app.addContentTypeParser(NDJSON, (_req, payload, done) => done(null, payload));
  serve(app, execInTask, async ({ params }, reply) => {
    const body = reply.request.body;
    if (!(body instanceof Readable)) throw invalidArgument(`the body must be ${NDJSON} frames, the first {"command": [...]}`);
    const frames = ndjsonValues(body);
    let first: IteratorResult<unknown>;
    try {
      first = await frames.next();
    } catch (error) {
      throw invalidArgument(`the body is not NDJSON: ${(error as Error).message}`);
    }
    if (first.done) throw invalidArgument('the body holds no frame: the first is {"command": [...]}');
    const start = parseExecStart(params.id, first.value);
    const call = await runningTaskLink(ctx, params.id).execSession(start);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': NDJSON, 'cache-control': 'no-store' });
    // Now, not with the first output: the client sends stdin only once it has the answer's headers.
    res.flushHeaders();
    const send = (value: object) => res.writableEnded || res.write(`${JSON.stringify(value)}\n`);
    let finished = false;
    call.on('data', (out: ExecSessionOutput__Output) => {
      if (out.stdout.length > 0) send({ stdout: out.stdout.toString('base64') });
      if (out.stderr.length > 0) send({ stderr: out.stderr.toString('base64') });
      if (out.exited) send({ exitCode: out.exitCode });
    });
    call.on('end', () => {
      finished = true;
      res.end();
    });
    call.on('error', (e: grpc.ServiceError) => {
      finished = true;
      if (e.code !== grpc.status.CANCELLED) send({ error: { code: codeForGrpcStatus(e.code), message: e.details || e.message } });
      res.end();
    });
    const forget = open.add(() => {
      if (finished) return;
      finished = true;
      send({ error: { code: 'unavailable', message: 'the Berth server is shutting down: the command was ended' } });
      res.end();
      call.cancel();
    });
    // The client went away (or the answer is complete): nothing may run on for it.
    res.on('close', () => {
      forget();
      if (!finished) call.cancel();
    });
    call.resume();
    try {
      for await (const frame of frames) if (!finished) call.write(inputOf(frame));
      if (!finished) call.end();
    } catch {
      // A broken request body (the client went away mid-frame): the close above cancels the session.
    }
    return reply;
  });
}
