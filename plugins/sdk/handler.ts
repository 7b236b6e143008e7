import * as grpc from '@grpc/grpc-js';
import { BerthError } from '../../lib/errors/berth-error';
import { GRPC_STATUS } from '../../lib/errors/grpc-status';
import { Logger, redact } from '../../lib/logging/logger';

/** A CSI method as a plugin writes it: the decoded request in, the response out, errors thrown. */
export type UnaryMethod<Req, Res> = (request: Req) => Promise<Res>;

/**
 * Turns the generated grpc-js handler interface of a service into the async shape plugins implement.
 * Every method is optional: one a plugin leaves out answers UNIMPLEMENTED.
 */
export type AsyncService<Handlers> = {
  // `string extends K` drops the index signature the generated interfaces inherit from grpc-js.
  [K in keyof Handlers as string extends K ? never : K]?: Handlers[K] extends grpc.handleUnaryCall<infer Req, infer Res> ? UnaryMethod<Req, Res> : never;
};

let nextRequestId = 1;

/**
 * Wraps one method: logs the request and the response (secrets redacted), maps a thrown CsiError (any
 * BerthError) to the status of its code and anything else to INTERNAL with the cause logged — a plugin
 * bug never crashes the process.
 */
export function wrapUnary<Req, Res>(rpc: string, method: UnaryMethod<Req, Res>, log: Logger): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const requestId = nextRequestId++;
    const started = process.hrtime.bigint();
    const elapsedMs = () => Number(process.hrtime.bigint() - started) / 1e6;
    log.debug({ rpc, requestId, request: redact(call.request) }, 'request');
    let promise: Promise<Res>;
    try {
      promise = method(call.request);
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (response) => {
        log.info({ rpc, requestId, ms: elapsedMs(), response: redact(response) }, 'ok');
        callback(null, response);
      },
      (error: unknown) => {
        if (error instanceof BerthError) {
          const code = GRPC_STATUS[error.code];
          log.info({ rpc, requestId, ms: elapsedMs(), code: grpc.status[code], message: error.message }, 'error');
          callback({ code, details: error.message } as grpc.ServiceError);
        } else {
          log.error({ rpc, requestId, ms: elapsedMs(), request: redact(call.request), err: error }, 'internal error');
          const message = error instanceof Error ? error.message : String(error);
          callback({ code: grpc.status.INTERNAL, details: `internal error: ${message}` } as grpc.ServiceError);
        }
      },
    );
  };
}

/** Builds the grpc-js implementation object for a service from the methods a plugin provides. */
export function implement<Handlers>(
  serviceName: string,
  definition: grpc.ServiceDefinition,
  methods: AsyncService<Handlers>,
  log: Logger,
): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(definition)) {
    const method = (methods as Record<string, UnaryMethod<unknown, unknown> | undefined>)[name];
    if (method) impl[name] = wrapUnary(`${serviceName}.${name}`, method.bind(methods), log);
  }
  return impl;
}
