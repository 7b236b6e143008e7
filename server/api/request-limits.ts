/**
 * Bounds on a request before any route sees it, each refused with a JSON body in the API's error
 * shape that names the bound: headers (count and size) and the body (BODY_LIMIT_BYTES, above the
 * largest manifest so that a manifest over its own bound is told so by apply, field and all).
 */
import type { FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';
import { MAX_MANIFEST_MB } from '../../core/manifests/limits';
import type { ErrorBody } from './error-reply';

export const BODY_LIMIT_MB = 4;
export const BODY_LIMIT_BYTES = BODY_LIMIT_MB * 1024 * 1024;

/** Request headers accepted; Node itself keeps only the first 2,000 and at most 16 KB of them. */
export const MAX_REQUEST_HEADERS = 100;

export const BODY_TOO_LARGE = `request body larger than ${BODY_LIMIT_MB} MB (a manifest may be at most ${MAX_MANIFEST_MB} MB)`;

/** Refuses requests with more than MAX_REQUEST_HEADERS headers: 431 naming the bound. */
export function registerRequestLimits(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    const count = req.raw.rawHeaders.length / 2;
    if (count <= MAX_REQUEST_HEADERS) return;
    // Node keeps only so many headers of a request: the count is a lower bound.
    const body: ErrorBody = { message: `too many request headers: at most ${MAX_REQUEST_HEADERS} allowed (${count} counted)`, code: 'invalid_argument' };
    return reply.code(431).send(body);
  });
}

/**
 * What Node's HTTP parser refused before fastify had a request (headers over 16 KB, malformed
 * requests): answered in the API's error shape rather than fastify's, then the connection closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'request headers larger than 16 KB: send fewer or shorter headers']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request was not received in time']
        : [400, 'Bad Request', `malformed HTTP request (${error.code ?? error.message})`];
  const body = JSON.stringify({ message, code: status === 408 ? 'deadline_exceeded' : 'invalid_argument' } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
