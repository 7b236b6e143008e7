import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { Logger } from 'pino';
import { errorReply } from './error-reply';
import { unauthorized } from './http-errors';
import { BODY_LIMIT_BYTES, clientErrorHandler, registerRequestLimits } from './request-limits';
import { registerRoutes } from './routes';
import type { ApiServices } from './services';
import { unknownFieldMessage } from './unknown-field';

export type { ApiServices } from './services';

export interface HttpApiOptions {
  /** host:port to listen on. Anything but loopback requires a token. */
  listen: string;
  token?: string;
  log: Logger;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  if (i <= 0) throw new Error(`--listen must be host:port, got ${JSON.stringify(listen)}`);
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

function tokenMatches(expected: string, header: string | undefined): boolean {
  // The scheme is case-insensitive (RFC 7235): `bearer` and `BEARER` are the same scheme.
  const given = header && /^bearer +/i.test(header) ? header.replace(/^bearer +/i, '') : '';
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The HTTP/JSON API: the routes of the contract in api/, one file per resource in ./routes. Every
 * body, query string and path is validated by its route's schema at the edge, and a field the route
 * does not know is refused (400 naming it) rather than dropped; every service error is a BerthError
 * whose code picks the status (error-reply.ts); anything else is a 500 with the cause logged.
 */
export async function startHttpApi(services: ApiServices, options: HttpApiOptions): Promise<{ app: FastifyInstance; url: string }> {
  const { host, port } = splitHostPort(options.listen);
  if (!isLoopback(host) && !options.token) {
    throw new Error(`refusing to listen on ${host} without a token: pass --token (or BERTH_TOKEN) when the API is reachable beyond loopback`);
  }
  // Fastify's validator removes properties a schema does not list (removeAdditional) — a misspelt
  // `dryrun` would be dropped and the apply done for real. Off: additionalProperties: false refuses them.
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, clientErrorHandler, ajv: { customOptions: { removeAdditional: false } } });
  registerRequestLimits(app);
  if (options.token) {
    const token = options.token;
    app.addHook('onRequest', async (req) => {
      if (!tokenMatches(token, req.headers.authorization)) throw unauthorized('missing or wrong API token');
    });
  }
  app.setErrorHandler((error, req, reply) => {
    const { status, body, log } = errorReply(error);
    if (log) options.log.error({ err: error }, 'API request failed');
    const fe = error as { validation?: Parameters<typeof unknownFieldMessage>[0]; validationContext?: string };
    const unknownField = fe.validation && unknownFieldMessage(fe.validation, fe.validationContext, req.routeOptions.schema);
    void reply.status(status).send(unknownField ? { ...body, message: unknownField } : body);
  });
  // Registered (and awaited) before any route: it documents the routes declared after it.
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Berth API',
        version: 'v1',
        description:
          'The HTTP/JSON API of a Berth server. When the server has a token (required beyond loopback), every request carries `Authorization: Bearer <token>`.',
      },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
      security: [{ token: [] }],
    },
  });
  registerRoutes(app, services);

  const url = await app.listen({ host, port });
  return { app, url };
}
